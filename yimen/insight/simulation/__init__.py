"""Transitional: yimen.insight.simulation moved to yimen.insight.simulation.engine (git mv, so history follows); the next commit splits it."""

from . import engine as _module

globals().update({k: v for k, v in vars(_module).items() if not k.startswith("__")})
