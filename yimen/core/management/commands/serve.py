from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "在 ASGI 服务器（uvicorn）上启动一门。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args, host, port, workers, **options):
        import uvicorn

        self.stdout.write(f"一门已启动：http://{host}:{port}/ （Ctrl+C 停止）")
        uvicorn.run("yimen.asgi:application", host=host, port=port, workers=workers,
                    log_level="warning", lifespan="off")
