"""Signals other apps may listen to (sent after the case's transaction commits).

- `hard_case_recorded(sender=Case, case, actor, reason, missing)`: intake found a key material
  missing that may not be accepted under 容缺 and the clerk recorded the case as 很难办. The
  feedback app opens the 办不成事 grievance / escalation from it.
- `case_ready(sender=Case, case)`: a result is ready for delivery.
"""

from django.dispatch import Signal

hard_case_recorded = Signal()
case_ready = Signal()
