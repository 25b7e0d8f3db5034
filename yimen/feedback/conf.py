"""Configuration of feedback deadlines: outlet settings win over settings.YIMEN, which win over
the demo defaults (rules.DEFAULT_*). Confirm the figures with the centre before production.

    outlet.settings = {"feedback_rectify_workdays": 15, "escalation_workdays": {"1": 3, "2": 5, "3": 10}}
    settings.YIMEN = {"FEEDBACK_RECTIFY_WORKDAYS": 15, "FEEDBACK_ESCALATION_WORKDAYS": {1: 3, 2: 5, 3: 10}}
"""

from django.conf import settings

from . import rules

DEFAULT_RECTIFY_WORKDAYS = 15
DEFAULT_CALLBACK_WORKDAYS = 1
DEFAULT_FIRST_RESPONSE_WORKDAYS = 1


def _yimen(key, default=None):
    return (getattr(settings, "YIMEN", {}) or {}).get(key, default)


def rectify_workdays(outlet) -> int:
    value = outlet.options.feedback_rectify_workdays if outlet else None
    return int(value or _yimen("FEEDBACK_RECTIFY_WORKDAYS", DEFAULT_RECTIFY_WORKDAYS))


def callback_workdays(outlet) -> int:
    value = outlet.options.feedback_callback_workdays if outlet else None
    return int(value or _yimen("FEEDBACK_CALLBACK_WORKDAYS", DEFAULT_CALLBACK_WORKDAYS))


def first_response_workdays(outlet) -> int:
    value = outlet.options.grievance_first_response_workdays if outlet else None
    return int(value or _yimen("FEEDBACK_FIRST_RESPONSE_WORKDAYS", DEFAULT_FIRST_RESPONSE_WORKDAYS))


def ladder_for(outlet) -> rules.Ladder:
    days = dict(_yimen("FEEDBACK_ESCALATION_WORKDAYS", {}) or {})
    days.update((outlet.options.escalation_workdays if outlet else None) or {})
    return rules.ladder_from_chain(getattr(outlet, "escalation_chain", None), days)
