"""Transitional: yimen.cases.services moved to yimen.cases.services.intake (git mv, so history follows); the next commit splits it."""

from . import intake as _module

globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
