"""The one-line calls the services that cause an event make (inside their transaction):

    feedback.services.submit_rating            → exchange.hooks.rating_submitted(rating)
    feedback.services.act_on_rectification     → exchange.hooks.rectification_step(rect, step)
    feedback.services.handling._transition     → exchange.hooks.grievance_changed(g, action)
    cases.services.results._create_result      → exchange.hooks.result_issued(result)

Each records documents and queues their pushes (services.record); nothing leaves before commit.
"""

from __future__ import annotations

from yimen.core import clock

from . import services
from .models import WorkOrder


def rating_submitted(rating) -> None:
    services.push_rating(rating)


def rectification_step(rect, step) -> None:
    services.push_rectification_step(rect, step)
    order = WorkOrder.objects.filter(rectification_id=rect.pk).first()
    if order is None:
        return
    if step.action == "callback":
        services.push_work_order_update(order, "callback", step.note, step.at)
    elif step.to_state in ("rectified", "invalid", "unfixable"):
        services.push_work_order_update(
            order, "handled", step.note, step.at, state=step.to_state, action=step.action
        )


def grievance_changed(g, action: str) -> None:
    order = WorkOrder.objects.filter(grievance_id=g.pk).first()
    if order is None:
        return
    now = clock.now()
    if action in ("explain", "resolve_level", "handle"):  # answered: the handling result
        content = g.answer or g.handling_note or g.explanation or g.finding_note
        services.push_work_order_update(order, "handled", content, now, status=g.status)
    elif action in ("close", "reopen") and _just_given(g, now):  # the person's feedback
        services.push_work_order_update(
            order,
            "callback",
            g.person_feedback,
            now,
            satisfied=bool(g.person_satisfied),
            status=g.status,
        )


def _just_given(g, now) -> bool:
    """record_person_feedback stamps the feedback just before its transition (a staff reopen of an
    archived grievance carries older feedback: not a callback result)."""
    at = g.person_feedback_at
    return at is not None and abs((now - at).total_seconds()) < 60


def result_issued(result) -> None:
    from .licences import push_licence

    push_licence(result)
