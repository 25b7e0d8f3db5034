"""Prometheus metrics (prometheus-client): what an operator watches on each node.

Per process (each `yimen serve` process is scraped on its own port, docs/scaling.md):
- ``yimen_http_request_duration_seconds{route,method}``: every request, including those the fast
  lane answers without Django (measured in the ASGI wrapper, `RequestMetrics`); the route is the
  URL pattern (``api/windows/{window_id}/call-next``), never the raw path, so ids do not multiply
  the series; event streams are counted in ``yimen_board_streams_open`` instead;
- ``yimen_board_call_lag_seconds``: from a call's commit (its event's time) to the SSE message
  that carries it to a board connected to this process;
- ``yimen_change_listener_connected``, ``yimen_changes_received_total``: the change bus.

From the database at scrape time (the same on every node: scrape one, or take max()):
waiting tickets and longest wait per queue, signed-in windows per outlet, outbox pending / dead /
oldest pending age, task (chore) runs by status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from functools import lru_cache

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)
REGISTRY = CollectorRegistry()  # ours alone: no process-wide defaults mixed in

REQUEST_SECONDS = Histogram(
    "yimen_http_request_duration_seconds",
    "请求耗时（按路由）",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
REQUESTS = Counter(
    "yimen_http_responses_total",
    "响应数（按路由、状态码类别）",
    ["route", "status"],
    registry=REGISTRY,
)
STREAMS_OPEN = Gauge("yimen_board_streams_open", "本进程当前连接的叫号屏事件流", registry=REGISTRY)
BOARD_LAG = Histogram(
    "yimen_board_call_lag_seconds",
    "叫号提交到叫号屏收到的时间",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0),
    registry=REGISTRY,
)
CHANGES_RECEIVED = Counter(
    "yimen_changes_received_total", "本进程看到的变更通知（本进程与其他进程）", registry=REGISTRY
)


def observe_board_lag(times) -> None:
    """`times`: the commit times (aware datetimes) of calls just sent to a board."""
    from yimen.core import clock

    now = clock.now()
    for at in times:
        BOARD_LAG.observe(max(0.0, (now - at).total_seconds()))


@lru_cache(maxsize=4096)
def route_of(path: str) -> str:
    """The URL pattern a path resolves to ('-' for none): bounded label values."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path)
    except Resolver404:
        return "unmatched"
    except Exception:  # noqa: BLE001 — a path Django refuses (NUL …) must not break the metric
        return "unmatched"
    return match.route or match.view_name or "-"


REQUEST_LOG = logging.getLogger("yimen.request")


class _Meta:
    """Just enough of a request for core.clientaddr.client_ip."""

    def __init__(self, scope) -> None:
        headers = dict(scope.get("headers") or [])
        client = scope.get("client") or ("", 0)
        self.META = {
            "REMOTE_ADDR": client[0],
            "HTTP_X_FORWARDED_FOR": headers.get(b"x-forwarded-for", b"").decode("latin-1"),
        }


def log_request(scope, route: str, status: int, seconds: float) -> None:
    """One JSON line per request on the `yimen.request` logger (YIMEN_REQUEST_LOG=1): the path
    and query string with ID numbers and phone numbers masked (core.masking.redact)."""
    import json
    from urllib.parse import unquote_plus

    from yimen.core.clientaddr import client_ip
    from yimen.core.masking import redact

    # decoded first: `?q=630102%31990…` or `%EF%BC%96…` (full-width digits) would hide a number
    query = unquote_plus((scope.get("query_string") or b"").decode("latin-1"), encoding="utf-8")
    REQUEST_LOG.info(
        json.dumps(
            {
                "method": scope.get("method", ""),
                "route": route,
                "path": redact(scope.get("path", "")),
                "query": redact(query),
                "status": status,
                "ms": round(seconds * 1000, 1),
                "client": client_ip(_Meta(scope)),
            },
            ensure_ascii=False,
        )
    )


class RequestMetrics:
    """ASGI wrapper, outermost: times every HTTP request (the fast lane's answers included) and
    writes the JSON request log."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path.rstrip("/").endswith("/events"):
            STREAMS_OPEN.inc()
            try:
                return await self.app(scope, receive, send)
            finally:
                STREAMS_OPEN.dec()
        began = time.perf_counter()
        status = [0]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - began
            route = route_of(path)
            REQUEST_SECONDS.labels(route, scope.get("method", "")).observe(seconds)
            REQUESTS.labels(route, f"{status[0] // 100}xx").inc()
            if REQUEST_LOG.isEnabledFor(logging.INFO):
                log_request(scope, route, status[0], seconds)


class DatabaseCollector(Collector):
    """Gauges read from the database when /metrics is scraped (a few indexed queries)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            yield from self._collect()
        except Exception:  # noqa: BLE001 — a scrape must answer even with the database down
            logger.warning("metrics: database gauges unavailable", exc_info=True)
            up = GaugeMetricFamily("yimen_database_up", "数据库可达")
            up.add_metric([], 0)
            yield up

    def _collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count, Min, Q
        from django_tasks_db.models import DBTaskResult

        from yimen.core import changes, clock
        from yimen.notify.models import DEAD, PENDING, OutboxMessage
        from yimen.queueing.models import Ticket
        from yimen.staff.models import WindowSession

        now = clock.now()
        waiting = GaugeMetricFamily(
            "yimen_queue_waiting_tickets", "今日等候中的号", labels=["outlet", "queue"]
        )
        longest = GaugeMetricFamily(
            "yimen_queue_longest_wait_seconds", "等候最久的号已等时间", labels=["outlet", "queue"]
        )
        rows = (
            Ticket.objects.filter(service_date=clock.today(), status=Ticket.WAITING)
            .values("outlet__code", "queue__code")
            .annotate(n=Count("pk"), first=Min("issued_at"))
        )
        for row in rows:
            labels = [row["outlet__code"], row["queue__code"]]
            waiting.add_metric(labels, row["n"])
            longest.add_metric(labels, max(0.0, (now - row["first"]).total_seconds()))
        yield waiting
        yield longest

        windows = GaugeMetricFamily(
            "yimen_windows_signed_in", "已签到（在岗）的窗口", labels=["outlet"]
        )
        for row in (
            WindowSession.objects.filter(ended_at__isnull=True)
            .values("window__outlet__code")
            .annotate(n=Count("window", distinct=True))
        ):
            windows.add_metric([row["window__outlet__code"]], row["n"])
        yield windows

        counts = OutboxMessage.objects.aggregate(
            pending=Count("pk", filter=Q(status=PENDING)),
            dead=Count("pk", filter=Q(status=DEAD)),
            oldest=Min("created_at", filter=Q(status=PENDING)),
        )
        for name, doc, value in (
            ("yimen_outbox_pending", "发件箱待发送", counts["pending"]),
            ("yimen_outbox_dead", "发件箱已放弃（需人工处理）", counts["dead"]),
            (
                "yimen_outbox_lag_seconds",
                "最早一条待发送消息已等时间",
                (now - counts["oldest"]).total_seconds() if counts["oldest"] else 0.0,
            ),
        ):
            gauge = GaugeMetricFamily(name, doc)
            gauge.add_metric([], value)
            yield gauge

        tasks = GaugeMetricFamily(
            "yimen_task_runs", "后台任务（定时作业）按状态计数", labels=["task", "status"]
        )
        for row in DBTaskResult.objects.values("task_path", "status").annotate(n=Count("pk")):
            tasks.add_metric([row["task_path"].rsplit(".", 1)[-1], row["status"]], row["n"])
        yield tasks

        listener = GaugeMetricFamily(
            "yimen_change_listener_connected", "本进程的变更监听（PostgreSQL LISTEN）已连接"
        )
        listener.add_metric([], 1 if changes.listening() else 0)
        yield listener
        up = GaugeMetricFamily("yimen_database_up", "数据库可达")
        up.add_metric([], 1)
        yield up
        yield from process_metrics()


def process_metrics() -> Iterator:
    """The refresher's work in this process: what keeping the caches current costs."""
    from prometheus_client.core import CounterMetricFamily

    from yimen.core.refresher import refresher

    rounds = CounterMetricFamily("yimen_refresher_rounds", "缓存刷新线程的轮数")
    rounds.add_metric([], refresher.rounds)
    yield rounds
    cpu = CounterMetricFamily("yimen_refresher_cpu_seconds", "缓存刷新线程耗用的 CPU 时间")
    cpu.add_metric([], refresher.cpu_seconds)
    yield cpu


REGISTRY.register(DatabaseCollector())
