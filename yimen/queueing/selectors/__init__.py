"""Transitional: yimen.queueing.selectors moved to yimen.queueing.selectors.dispatch (git mv, so history follows); the next commit splits it."""

from . import dispatch as _module

globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
