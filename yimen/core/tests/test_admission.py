"""yimen/asgi.py AdmissionControl: at most N ordinary requests at once per process, polling
requests of the hall in a lane of their own, event streams not counted."""

import asyncio

from yimen.asgi import AdmissionControl


def http(path):
    return {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}


def test_lanes_limit_concurrency_and_polls_do_not_wait_behind_writes():
    async def scenario():
        running = {"other": 0, "poll": 0, "stream": 0}
        peak = {"other": 0, "poll": 0}
        release = asyncio.Event()

        async def app(scope, receive, send):
            path = scope["path"]
            lane = (
                "stream"
                if path.endswith("/events")
                else "poll"
                if path.endswith(("/call-next", "/board"))
                else "other"
            )
            running[lane] += 1
            if lane in peak:
                peak[lane] = max(peak[lane], running[lane])
            if lane == "other":
                await release.wait()  # slow writes hold their slots
            running[lane] -= 1

        gate = AdmissionControl(app, limit=2)
        writes = [
            asyncio.create_task(gate(http("/api/tickets/1/finish"), None, None)) for _ in range(5)
        ]
        await asyncio.sleep(0.01)
        assert running["other"] == 2  # two admitted, three wait in the event loop
        # polls and event streams still go through while the write lane is full
        await asyncio.wait_for(gate(http("/api/outlets/XN-CX/board"), None, None), 1)
        await asyncio.wait_for(gate(http("/api/windows/7/call-next"), None, None), 1)
        stream = asyncio.create_task(gate(http("/queue/board/XN-CX/events"), None, None))
        await asyncio.wait_for(stream, 1)
        release.set()
        await asyncio.wait_for(asyncio.gather(*writes), 1)
        assert peak["other"] == 2 and running == {"other": 0, "poll": 0, "stream": 0}

    asyncio.run(scenario())


def test_non_http_scopes_pass_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    asyncio.run(AdmissionControl(app, limit=1)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]
