"""Transitional: yimen.feedback.services moved to yimen.feedback.services.grievance_intake (git mv, so history follows); the next commit splits it."""

from . import grievance_intake as _module

globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
