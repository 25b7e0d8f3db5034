"""Moved to `yimen.queueing.fastpath.calls` (the hall's fast path in one package). This path stays
an alias of that module — the same module object, so imports, attributes and monkeypatching
through the old name keep working."""

import sys

from ..fastpath import calls as _moved

sys.modules[__name__] = _moved
