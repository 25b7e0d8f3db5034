"""deploy/ behind Debian's nginx (issue 20, §2): the site file of deploy/nginx/yimen.conf — only
its ports, addresses and certificate paths changed to this machine's — in front of two nodes on
one PostgreSQL. Through the proxy, over TLS: ticket cycles and live boards served by both
upstreams; the audit log records the client's address as nginx saw it (not one the client wrote
itself); `nginx -t` and `systemd-analyze verify` are clean.

The client connects from 127.0.0.2 (all of 127/8 is loopback on Linux) so its address differs
from nginx's (127.0.0.1, the only trusted proxy).
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection

from yimen.ops.cluster import ROOT, Cluster, free_port, node_env
from yimen.ops.tests.test_two_nodes import BoardStream, bearer, make_outlet

DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
CLIENT_ADDRESS = "127.0.0.2"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    crt, pem = directory / "fullchain.pem", directory / "privkey.pem"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return crt, pem


def trusting(crt: Path) -> ssl.SSLContext:
    """A TLS context that trusts only the test's self-signed certificate."""
    return ssl.create_default_context(cafile=str(crt))


def render_site(ports: list[int], http: int, https: int, crt: Path, pem: Path) -> str:
    """deploy/nginx/yimen.conf with this machine's ports, loopback only, the test certificate."""
    site = (DEPLOY / "nginx" / "yimen.conf").read_text(encoding="utf-8")
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+.*$", site, flags=re.M)
    assert len(servers) == 2, "the site lists two example nodes"
    for line, port in zip(servers, ports, strict=True):
        site = site.replace(line, re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", line))
    site = re.sub(r"^\s*listen \[::\].*$\n", "", site, flags=re.M)
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http};")
    site = site.replace("listen 443 ", f"listen 127.0.0.1:{https} ")
    site = site.replace("/etc/ssl/yimen/fullchain.pem", str(crt))
    return site.replace("/etc/ssl/yimen/privkey.pem", str(pem))


def main_conf(directory: Path, site: Path) -> Path:
    conf = directory / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the test's private tmp dir
    temp = "\n".join(
        f"  {kind}_temp_path {directory / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf.write_text(
        f"{user}worker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  access_log off;\n{temp}\n  include {site};\n}}\n"
    )
    return conf


@pytest.fixture
def behind_nginx(demo, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("two nodes need PostgreSQL (see test_two_nodes.py); DATABASE_URL=postgres://…")
    if NGINX is None:
        pytest.skip(
            "nginx is not installed: apt-get install -y nginx-light "
            "(scripts/ensure-system-packages does it, CI runs that)"
        )
    data = make_outlet()
    crt, pem = self_signed(tmp_path)
    cluster = Cluster(env=node_env(YIMEN_TRUSTED_PROXIES="127.0.0.1"), log_dir=tmp_path)
    nginx = None
    try:
        nodes = [cluster.start_node(), cluster.start_node()]
        http, https = free_port(), free_port()
        site = tmp_path / "yimen.conf"
        site.write_text(render_site(cluster.ports, http, https, crt, pem))
        conf = main_conf(tmp_path, site)
        checked = subprocess.run(
            [NGINX, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
        )
        for node in nodes:
            cluster.wait_ready(node)
        nginx = subprocess.Popen(
            [NGINX, "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        proxy = f"https://127.0.0.1:{https}"
        client = httpx.Client(
            base_url=proxy,
            verify=trusting(crt),
            transport=httpx.HTTPTransport(local_address=CLIENT_ADDRESS, verify=trusting(crt)),
            timeout=10,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.1)
        yield {
            **data,
            "nodes": nodes,
            "proxy": proxy,
            "client": client,
            "crt": crt,
            "nginx_t": checked,
            "http": http,
        }
        client.close()
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=15)
        cluster.stop()


def served(node: str) -> dict[str, float]:
    """Responses a node has given, per route (its own /metrics)."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(f"{node}/metrics").text
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == "yimen_http_responses_total":
                counts[s.labels["route"]] = counts.get(s.labels["route"], 0) + s.value
            if s.name == "yimen_board_streams_open":
                counts["streams"] = s.value
    return counts


def check_nginx_t_is_clean(behind_nginx):
    done = behind_nginx["nginx_t"]
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr and "[warn]" not in done.stderr, done.stderr


def test_systemd_units_verify_clean(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    yimen = Path(os.sys.executable).parent / "yimen"
    units = []
    for name, as_name in (
        ("yimen-server@.service", "yimen-server@8001.service"),
        ("yimen-worker.service", "yimen-worker.service"),
    ):
        text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8")
        # the units name the installed path; here the command lives in this checkout's venv
        (tmp_path / as_name).write_text(text.replace("/opt/yimen/.venv/bin/yimen", str(yimen)))
        units.append(str(tmp_path / as_name))
    done = subprocess.run(
        [analyze, "verify", *units], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def check_cycles_and_boards_on_both_upstreams(behind_nginx):
    client, nodes = behind_nginx["client"], behind_nginx["nodes"]
    clerk, device = behind_nginx["clerks"][0], behind_nginx["device"]
    before = [served(node) for node in nodes]
    board_url = f"{behind_nginx['proxy']}/queue/board/NODES/events"
    kw = {
        "verify": trusting(behind_nginx["crt"]),
        "transport": httpx.HTTPTransport(
            local_address=CLIENT_ADDRESS, verify=trusting(behind_nginx["crt"])
        ),
    }
    with BoardStream(board_url, **kw) as first, BoardStream(board_url, **kw) as second:
        # round robin: the two boards are held open by the two nodes
        assert [served(node).get("streams") for node in nodes] == [1, 1]
        for _ in range(4):
            issued = client.post(
                "/api/outlets/NODES/tickets",
                json={"item_code": behind_nginx["item"]},
                headers=bearer(device),
            )
            assert issued.status_code == 201, issued.text
            number = issued.json()["number"]
            deadline = time.monotonic() + 3
            while True:
                called = client.post(
                    f"/api/windows/{clerk['window'].pk}/call-next", headers=bearer(clerk["raw"])
                )
                if called.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert called.status_code == 200 and called.json()["number"] == number, called.text
            for action in ("start", "finish"):
                r = client.post(
                    f"/api/tickets/{called.json()['id']}/{action}", headers=bearer(clerk["raw"])
                )
                assert r.status_code == 200, r.text
            for board in (first, second):
                assert board.wait_for_call(number, timeout=3) is not None, number
    after = [served(node) for node in nodes]
    route = "api/outlets/<outlet_id>/tickets"
    for b, a in zip(before, after, strict=True):
        grown = {k: a.get(k, 0) - b.get(k, 0) for k in a}
        assert any(v > 0 for k, v in grown.items() if "tickets" in k), (route, grown)


def check_audit_has_the_address_nginx_saw(behind_nginx):
    from yimen.core.models import AuditEntry

    client = behind_nginx["client"]
    for _ in range(2):  # one through each upstream
        r = client.post(
            "/api/outlets/NODES/tickets",
            json={"item_code": behind_nginx["item"]},
            headers={**bearer(behind_nginx["device"]), "X-Forwarded-For": "203.0.113.7"},
        )
        assert r.status_code == 201, r.text
    addresses = list(
        AuditEntry.objects.filter(action__startswith="ticket.")
        .order_by("-pk")
        .values_list("source_ip", flat=True)[:2]
    )
    # the address nginx saw, never the one the client wrote, never nginx's own
    assert addresses == [CLIENT_ADDRESS, CLIENT_ADDRESS], addresses


def check_plain_http_is_sent_to_https(behind_nginx):
    r = httpx.get(f"http://127.0.0.1:{behind_nginx['http']}/queue/", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"].startswith("https://")


def test_two_nodes_behind_debians_nginx(behind_nginx):
    """One cluster and one nginx for every check (CPU of a shared 2-core machine)."""
    check_nginx_t_is_clean(behind_nginx)
    check_cycles_and_boards_on_both_upstreams(behind_nginx)
    check_audit_has_the_address_nginx_saw(behind_nginx)
    check_plain_http_is_sent_to_https(behind_nginx)
