"""Triage JSON API (public: it only matches words against the public catalog).

GET /api/triage?q=<words>&limit=5&outlet=XN-CX → {"query", "results": [{code, name, score, why,
intent, green_channel, window_kinds, queue, materials, outlets}]} best first."""

from ninja import Query, Router, Schema

from yimen.core.inputs import errors
from yimen.outlets.models import Outlet

from . import selectors

router = Router()


class TriageMaterialOut(Schema):
    name: str
    kind: str
    copies: int
    required: bool
    tolerance: bool
    data_sharing: bool


class QueueOut(Schema):
    code: str
    name: str
    prefix: str


class TriageOutletOut(Schema):
    code: str
    name: str
    open_now: bool


class ResultOut(Schema):
    code: str
    name: str
    score: float
    why: list[str]
    intent: bool
    green_channel: bool
    immediate: bool
    window_kinds: list[str]
    queue: QueueOut | None = None
    green_queue: QueueOut | None = None
    materials: list[TriageMaterialOut]
    outlets: list[TriageOutletOut]


class TriageOut(Schema):
    query: str
    results: list[ResultOut]


class TriageIn(Schema):
    q: str
    limit: int = 5
    outlet: str | None = None


@router.get(
    "/triage",
    response={200: TriageOut, **errors(404)},
    summary="智能导办：一句大白话 → 事项、窗口、绿色通道、材料与网点",
)
def triage(request, params: Query[TriageIn]):
    from yimen.core.errors import NotFound

    outlet = None
    if params.outlet:
        outlet = Outlet.objects.filter(code=params.outlet, active=True).first()
        if outlet is None:
            raise NotFound(f"找不到网点：{params.outlet}")
    results = selectors.triage(params.q, outlet=outlet, limit=max(1, min(params.limit, 20)))
    return {"query": params.q, "results": results}
