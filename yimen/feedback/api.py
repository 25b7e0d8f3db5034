"""JSON API of 好差评 and 办不成事 (under /api/feedback/…).

- POST /feedback/ratings                  submit a rating with the token of the QR link (public)
- GET  /feedback/rating-link              the rating URL of a ticket (the clerk signed in at the
                                          window that served it; the outlet's devices) or a case (its outlet)
- POST /feedback/grievances               submit a grievance (public = portal; staff = window)
- GET  /feedback/grievances/status/{tok}  the person's view of a grievance (public, token)
- POST /feedback/grievances/status/{tok}/feedback   the person's feedback (satisfied / reopen)
- GET  /feedback/grievances/{number}      full status for staff
- GET  /feedback/ratings/{id}             one rating and its rectification (staff, within scope)
- GET  /feedback/summary                  the dashboard figures (S09)
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Router, Schema, Status
from ninja.errors import AuthenticationError

from yimen.core.errors import Forbidden, NotFound, ValidationFailed
from yimen.core.inputs import ScheduleDate, errors
from yimen.core.masking import mask_name, mask_phone
from yimen.staff import authz
from yimen.staff.tokens import BearerAuth

from . import rules, selectors, services

router = Router()


def _optional_principal(request):
    """The caller if it sent credentials (staff session or bearer token); None when anonymous."""
    header = request.headers.get("Authorization", "")
    user = getattr(request, "user", None)
    if not header and not (user is not None and user.is_authenticated):
        return None
    principal = BearerAuth()(request)
    if principal is None:
        raise AuthenticationError()
    return principal


class RatingIn(Schema):
    token: str
    score: int
    reasons: list[str] = []
    comment: str = ""
    channel: str = "qr"


class RectificationOut(Schema):
    id: int
    state: str
    state_label: str
    callback_due: date
    rectify_due: date


class RatingOut(Schema):
    id: int
    subject: str
    round: int
    score: int
    score_label: str
    reasons: list[str]
    created_at: datetime
    rectification: RectificationOut | None = None


def _rating_out(r) -> dict:
    rect = getattr(r, "rectification", None) if r.is_bad else None
    return {
        "id": r.pk,
        "subject": r.subject,
        "round": r.round,
        "score": r.score,
        "score_label": r.get_score_display(),
        "reasons": r.reasons,
        "created_at": r.created_at,
        "rectification": None
        if rect is None
        else {
            "id": rect.pk,
            "state": rect.state,
            "state_label": rect.get_state_display(),
            "callback_due": rect.callback_due,
            "rectify_due": rect.rectify_due,
        },
    }


@router.post(
    "/feedback/ratings",
    response={201: RatingOut, **errors(401, 403, 404, 409, 413)},
    summary="提交评价（扫码链接令牌）",
)
def submit_rating(request, payload: RatingIn):
    if payload.channel not in ("qr", "portal", "window"):
        raise ValidationFailed("评价渠道应为 qr / portal / window。", code="channel_invalid")
    subject, obj = services.resolve_rating_token(payload.token)
    kwargs = {"ticket": obj} if subject == "ticket" else {"case": obj}
    rating = services.submit_rating(
        **kwargs,
        score=payload.score,
        reasons=payload.reasons,
        comment=payload.comment,
        channel=payload.channel,
        request=request,
    )
    return Status(201, _rating_out(rating))


class LinkOut(Schema):
    url: str
    token: str


@router.get(
    "/feedback/rating-link",
    response={200: LinkOut, **errors(401, 403, 404)},
    auth=BearerAuth(),
    summary="排队号/办件的评价链接（二维码）",
)
def rating_link(request, ticket: int | None = None, case: int | None = None):
    from yimen.cases.models import Case
    from yimen.queueing.models import Ticket

    if (ticket is None) == (case is None):
        raise ValidationFailed("请指定 ticket 或 case 其中之一。", code="subject_required")
    obj = (
        Ticket.objects.filter(pk=ticket).first()
        if ticket is not None
        else Case.objects.filter(pk=case).first()
    )
    if obj is None:
        raise NotFound("评价对象不存在。")
    services.authorize_rating_link(request.principal, obj)
    kwargs = {"ticket": obj} if ticket is not None else {"case": obj}
    return {
        "url": request.build_absolute_uri(selectors.rating_url(**kwargs)),
        "token": services.rating_token(**kwargs),
    }


class GrievanceIn(Schema):
    outlet: str
    category: str
    description: str
    phone: str
    applicant_name: str = ""
    id_number: str = ""
    item: str | None = None
    window: str | None = None
    ticket_number: str | None = None
    occurred_at: datetime | None = None
    missing_materials: list[str] = []


class LevelOut(Schema):
    round: int
    level: int
    name: str
    owner_role: str
    started_at: datetime
    due: date
    meeting_at: datetime | None
    decision: str
    outcome: str
    decided_at: datetime | None


class GrievancePublicOut(Schema):
    number: str
    outlet: str
    category: str
    category_label: str
    status: str
    status_label: str
    received_at: datetime
    first_response_due: date
    level: int
    level_due: date | None
    answer: str
    levels: list[LevelOut]
    status_url: str


class GrievanceCreatedOut(GrievancePublicOut):
    token: str


class GrievanceStaffOut(GrievancePublicOut):
    applicant_name: str
    phone: str
    item: str | None
    window: str | None
    overdue: list[str]
    person_satisfied: bool | None


def _levels(g):
    return [
        {
            "round": lv.round,
            "level": lv.level,
            "name": lv.name,
            "owner_role": lv.owner_role,
            "started_at": lv.started_at,
            "due": lv.due,
            "meeting_at": lv.meeting_at,
            "decision": lv.decision,
            "outcome": lv.outcome,
            "decided_at": lv.decided_at,
        }
        for lv in g.levels.order_by("round", "level", "id")
    ]


def _public(request, g) -> dict:
    return {
        "number": g.number,
        "outlet": g.outlet.code,
        "category": g.category,
        "category_label": g.get_category_display(),
        "status": g.status,
        "status_label": g.get_status_display(),
        "received_at": g.received_at,
        "first_response_due": g.first_response_due,
        "level": g.level,
        "level_due": g.level_due,
        "answer": g.answer,
        "levels": _levels(g),
        "status_url": request.build_absolute_uri(selectors.grievance_status_url(g)),
    }


@router.post(
    "/feedback/grievances",
    response={201: GrievanceCreatedOut, **errors(401, 403, 404, 409, 413)},
    summary="提交“办不成事”反映",
)
def submit_grievance(request, payload: GrievanceIn):
    from yimen.catalog.models import ServiceItem
    from yimen.outlets.models import Window
    from yimen.outlets.selectors import get_outlet
    from yimen.queueing.models import Ticket

    principal = _optional_principal(request)
    outlet = get_outlet(payload.outlet)
    item = None
    if payload.item:
        item = ServiceItem.objects.filter(code=payload.item).first()
        if item is None:
            raise ValidationFailed(f"找不到事项：{payload.item}", code="item_unknown")
    window = None
    if payload.window:
        window = (
            Window.objects.filter(outlet=outlet, code=payload.window).first()
            or Window.objects.filter(outlet=outlet, number=payload.window).first()
        )
        if window is None:
            raise ValidationFailed(f"本网点没有窗口：{payload.window}", code="window_unknown")
    ticket = None
    if payload.ticket_number:
        ticket = (
            Ticket.objects.filter(outlet=outlet, number=payload.ticket_number.upper())
            .order_by("-service_date")
            .first()
        )
        if ticket is None:
            raise ValidationFailed(f"找不到排队号：{payload.ticket_number}", code="ticket_unknown")
    staff = principal.staff if principal is not None else None
    g = services.submit_grievance(
        outlet=outlet,
        category=payload.category,
        description=payload.description,
        phone=payload.phone,
        applicant_name=payload.applicant_name,
        id_number=payload.id_number,
        item=item,
        window=window,
        ticket=ticket,
        occurred_at=payload.occurred_at,
        missing_materials=payload.missing_materials,
        channel="window" if staff is not None else "portal",
        actor=staff,
        request=request,
    )
    return Status(201, {**_public(request, g), "token": g.public_token})


@router.get(
    "/feedback/grievances/status/{token}",
    response={200: GrievancePublicOut, **errors(404)},
    summary="反映办理进度（群众，凭查询码）",
)
def grievance_status(request, token: str):
    return _public(request, selectors.grievance_by_token(token))


class PersonFeedbackIn(Schema):
    satisfied: bool
    note: str = ""


@router.post(
    "/feedback/grievances/status/{token}/feedback",
    response={200: GrievancePublicOut, **errors(403, 404, 409, 413)},
    summary="群众对答复的反馈（满意归档 / 不满意重新办理）",
)
def person_feedback(request, token: str, payload: PersonFeedbackIn):
    g = selectors.grievance_by_token(token)
    g = services.record_person_feedback(
        g,
        None,
        satisfied=payload.satisfied,
        note=payload.note,
        channel="portal",
        token=token,
        request=request,
    )
    return _public(request, g)


@router.get(
    "/feedback/grievances/{number}",
    response={200: GrievanceStaffOut, **errors(401, 403, 404)},
    auth=BearerAuth(),
    summary="反映详情（工作人员）",
)
def grievance_detail(request, number: str):
    from yimen.core import clock

    g = selectors.get_grievance(request.principal.staff, number=number)
    return {
        **_public(request, g),
        "applicant_name": mask_name(g.applicant_name),
        "phone": mask_phone(g.phone),
        "item": g.item.code if g.item else None,
        "window": g.window.code if g.window else None,
        "overdue": selectors.grievance_flags(g, clock.today()),
        "person_satisfied": g.person_satisfied,
    }


@router.get(
    "/feedback/summary",
    response={200: dict[str, Any], **errors(401, 403, 404)},
    auth=BearerAuth(),
    summary="好差评与办不成事汇总（差评数、整改率、中位用时）",
)
def summary(
    request,
    outlet: str | None = None,
    start: ScheduleDate | None = None,
    end: ScheduleDate | None = None,
):
    """The figures of what the caller may see: a director's outlet, a leader's district, all for
    an admin; `outlet` narrows to one outlet within that scope (403 outside it)."""
    from yimen.outlets.models import Outlet

    staff = request.principal.staff
    authz.authorize_role(staff, "feedback.dashboard")
    target = None
    if outlet:
        target = authz.visible_to(staff, Outlet.objects.all()).filter(code=outlet).first()
        if target is None:
            raise Forbidden("无权查看该网点的汇总。")
    elif authz.scope_of(staff)[0] == authz.OUTLET:
        target = staff.outlet
    data = selectors.summary(staff, target, start, end)
    data["outlet"] = target.code if target else None
    data["grievances_open_by_level"] = {
        str(k): v for k, v in data["grievances_open_by_level"].items()
    }
    data["categories"] = dict(rules.CATEGORY_CHOICES)
    return data


@router.get(
    "/feedback/ratings/{rating_id}",
    response={200: RatingOut, **errors(401, 403, 404)},
    auth=BearerAuth(),
    summary="评价详情（含差评整改状态；本人范围内）",
)
def rating_detail(request, rating_id: int):
    from .models import Rating

    rating = authz.get_visible(
        request.principal.staff,
        Rating.objects.select_related("rectification"),
        "找不到该评价。",
        pk=rating_id,
    )
    return _rating_out(rating)
