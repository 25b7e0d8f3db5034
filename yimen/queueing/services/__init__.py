"""Transitional: yimen.queueing.services moved to yimen.queueing.services.issuing (git mv, so history follows); the next commit splits it."""

from . import issuing as _module

globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
