"""`yimen worker [--once]`: deliver the outbox and run the periodic chores (docs/notifications.md).
Runs until stopped (Ctrl-C / SIGTERM finish the current message, then exit); `--once` runs what is
due now (every chore, every due message) and exits."""

import json

from django.core.management.base import BaseCommand

from yimen.notify.delivery import deliver_due
from yimen.notify.worker import Worker, run_chores


class Command(BaseCommand):
    help = "后台工作进程：发送发件箱中的消息并运行定时任务（--once 运行一次后退出）"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="只运行当前到期的工作，然后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="空闲时轮询间隔（秒）")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, once=False, interval=1.0, **options):
        worker = Worker(interval=interval)
        if once:
            chores = run_chores(worker.worker_id)
            stats = deliver_due(worker.worker_id)
            result = {"delivered": stats.as_dict(), "chores": chores}
            if options["json"]:
                self.stdout.write(json.dumps(result, ensure_ascii=False))
            else:
                d = stats.as_dict()
                self.stdout.write(
                    f"已发送 {d['sent']} 条，失败待重试 {d['failed']} 条，放弃 {d['dead']} 条，"
                    f"顺延 {d['deferred']} 条；运行定时任务：{'、'.join(chores) or '无'}"
                )
            return
        worker.install_signals()
        self.stdout.write(f"工作进程 {worker.worker_id} 已启动（Ctrl-C 停止）")
        worker.run()
