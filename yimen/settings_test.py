"""Settings for the test suite (pyproject: DJANGO_SETTINGS_MODULE = "yimen.settings_test").

Tests run in development mode with keys of their own, made fresh for each run (never a public
default; subprocesses started by a test inherit them through the environment). Tests of
production mode set DEBUG / the keys themselves."""

import os
import secrets

os.environ["YIMEN_TESTING"] = "1"
os.environ.setdefault("YIMEN_DEBUG", "1")
os.environ.setdefault("YIMEN_SECRET_KEY", "test-" + secrets.token_urlsafe(40))
os.environ.setdefault("YIMEN_DATA_KEY", "test-" + secrets.token_urlsafe(40))

from yimen.settings import *  # noqa: E402,F401,F403
