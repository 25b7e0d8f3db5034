"""`yimen hall …`: the hall's devices from the command line.

- `printer-sim [--port 9100] [--out DIR]`   a SIMULATED ESC/POS network printer: prints each job
  it receives as text (and keeps the raw bytes in DIR), for demos and tests;
- `idcard-sim --outlet XN-CX --token T --name 马奶奶 --id 630104…`   a SIMULATED card read, posted
  like the bridge does;
- `idcard-bridge --outlet XN-CX --token T --reader URL`   the real bridge (hall/bridge.py);
- `voice A012 203 [--out a.wav]`   the call's audio, with its length and level.
"""

import json
import socket
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yimen.hall import bridge, printing, voice


class Command(BaseCommand):
    help = "大厅设备：printer-sim（打印机模拟器）、idcard-sim（读卡模拟）、idcard-bridge、voice"

    def add_arguments(self, parser):
        parser.add_argument(
            "action", choices=["printer-sim", "idcard-sim", "idcard-bridge", "voice"]
        )
        parser.add_argument("words", nargs="*")
        parser.add_argument("--port", type=int, default=9100)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--out", default="")
        parser.add_argument("--server", default="http://127.0.0.1:8000")
        parser.add_argument("--outlet", default="")
        parser.add_argument("--token", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--id", dest="id_number", default="")
        parser.add_argument("--reader", default="http://127.0.0.1:19196/readcard")
        parser.add_argument("--name-field", default="name")
        parser.add_argument("--id-field", default="id_number")
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, action, **o):
        if action == "voice":
            if len(o["words"]) != 2:
                raise CommandError("用法：yimen hall voice <号码> <窗口号> [--out a.wav]")
            try:
                data = voice.announcement_wav(*o["words"])
            except voice.BadAnnouncement as exc:
                raise CommandError(str(exc)) from None
            if o["out"]:
                Path(o["out"]).write_bytes(data)
            self.stdout.write(json.dumps(voice.measure(data), ensure_ascii=False))
        elif action == "printer-sim":
            serve_printer(o["host"], o["port"], o["out"], self.stdout.write)
        elif action == "idcard-sim":
            if not (o["outlet"] and o["token"] and o["name"] and o["id_number"]):
                raise CommandError("读卡模拟需要 --outlet --token --name --id")
            answer = bridge.post_card(
                o["server"], o["outlet"], o["token"], o["name"], o["id_number"]
            )
            self.stdout.write(f"【模拟读卡】已上传：{json.dumps(answer, ensure_ascii=False)}")
        else:
            if not (o["outlet"] and o["token"]):
                raise CommandError("读卡桥接需要 --outlet 和 --token")
            bridge.run_bridge(
                o["server"],
                o["outlet"],
                o["token"],
                o["reader"],
                name_field=o["name_field"],
                id_field=o["id_field"],
                once=o["once"],
                log=self.stdout.write,
            )


def serve_printer(host: str, port: int, out: str, log, *, stop: threading.Event | None = None):
    """The printer simulator: accept ESC/POS jobs on host:port, print them as text."""
    folder = Path(out) if out else None
    if folder:
        folder.mkdir(parents=True, exist_ok=True)
    server = socket.create_server((host, port))
    server.settimeout(0.5)
    log(f"【打印机模拟器】在 {host}:{port} 等待 ESC/POS 打印任务（Ctrl-C 结束）")
    count = 0
    try:
        while stop is None or not stop.is_set():
            try:
                conn, _addr = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                chunks = []
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except TimeoutError:
                        break
                    if not chunk:
                        break
                    chunks.append(chunk)
            job = b"".join(chunks)
            count += 1
            if folder:
                (folder / f"job-{count:04d}.bin").write_bytes(job)
            log(f"--- 打印任务 {count}（{len(job)} 字节）---\n{printing.render_text(job)}")
    finally:
        server.close()
