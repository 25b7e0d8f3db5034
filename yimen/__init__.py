"""Yimen (一门): one door, one network, at most one trip."""
