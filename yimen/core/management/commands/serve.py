"""`yimen serve`: uvicorn with Yimen's settings.

- Client addresses: uvicorn's own X-Forwarded-For handling is off; Django decides, from
  YIMEN_TRUSTED_PROXIES only (yimen/core/clientaddr.py), so there is one rule, not two.
- Logs: the server's and the access log's handlers carry the RedactingFilter (yimen/core/masking.py),
  so a query string with an ID number or phone is never printed in full. `--access-log` turns the
  access log on (off by default: a busy hall makes hundreds of requests a second).
"""

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "在 ASGI 服务器（uvicorn）上启动一门。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--access-log", action="store_true", help="记录每个请求（身份证号、手机号打码）"
        )

    def handle(self, *args, host, port, workers, access_log=False, **options):
        import uvicorn

        from yimen.core.masking import uvicorn_log_config

        if settings.DEBUG:
            self.stdout.write(
                "注意：调试模式（YIMEN_DEBUG=1），仅供本机演示；生产请关闭（见 docs/operations.md）。"
            )
        self.stdout.write(f"一门已启动：http://{host}:{port}/ （Ctrl+C 停止）")
        level = "info" if access_log else "warning"
        uvicorn.run(
            "yimen.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level=level,
            log_config=uvicorn_log_config(level),
            access_log=access_log,
            proxy_headers=False,
            server_header=False,
            lifespan="off",
        )
