"""Real `yimen serve` / `yimen worker` processes on this machine, for the multi-node tests,
the nginx test and `bench/` (not used by production code).

Each process is a separate Python interpreter: nothing is shared but the database, exactly as
on two machines. Every process started here is terminated (then killed) by `Cluster.stop()`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    """The URL of the database this process uses (the test database inside pytest)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Cluster:
    """`nodes` server processes and `workers` worker processes on one database."""

    env: dict[str, str]
    procs: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    log_dir: Path | None = None

    def _spawn(
        self, args: list[str], name: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen:
        log_dir = self.log_dir or Path(os.environ.get("TMPDIR", "/tmp"))
        log = log_dir / f"yimen-{name}-{os.getpid()}-{len(self.procs)}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "yimen.cli", *args],
                cwd=ROOT,
                env=env or self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def start_node(self, *extra: str) -> str:
        port = free_port()
        self._spawn(["serve", "--host", "127.0.0.1", "--port", str(port), *extra], f"node{port}")
        self.ports.append(port)
        return f"http://127.0.0.1:{port}"

    def start_worker(self, interval: float = 0.2, env: dict[str, str] | None = None) -> None:
        self._spawn(["worker", "--interval", str(interval)], "worker", env)

    def wait_ready(self, base: str, timeout: float = 90.0) -> None:
        """Until `base`/readyz answers 200 (database reachable, migrations applied, caches warm)."""
        import httpx

        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a process exited early ({proc.args}):\n{self.tail()}")
            try:
                r = httpx.get(base + "/readyz", timeout=2)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise RuntimeError(f"{base} not ready in {timeout} s ({last}):\n{self.tail()}")

    def tail(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-chars:]}"
            for p in self.logs
            if p.exists()
        )

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs.clear()


def node_env(**extra: str) -> dict[str, str]:
    """The environment of a node started from a test: this process's keys (personal data must
    decrypt in every process), its database, the production settings module."""
    from yimen.core.fields import _master_keys

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "YIMEN_DATA_KEY": _master_keys()[0].decode(),
        "YIMEN_CHANGE_LISTENER": "1",
        "YIMEN_BACKGROUND_REFRESH": "1",
        "YIMEN_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env
