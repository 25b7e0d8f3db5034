from yimen.queueing.tests.conftest import at_cx, clerk_at  # noqa: F401  (shared fixtures)
