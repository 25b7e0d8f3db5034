"""`yimen outreach run [--json]` — outreach's chores once (the worker runs them on its own;
this is for an operator, or a crontab where no worker runs). `yimen outreach reply PHONE TEXT`
records an inbound reply (an unsubscribe keyword such as T / TD / 退订)."""

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "消息提醒：run（运行一次预约提醒、闭馆处理、年度提醒、升级预警）/ reply（登记回复退订）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        run = sub.add_parser("run", help="运行一次全部提醒任务")
        run.add_argument("--json", action="store_true")
        reply = sub.add_parser("reply", help="登记一条短信回复（退订关键词：T、TD、退订）")
        reply.add_argument("phone")
        reply.add_argument("text")

    def handle(self, *args, op, **options):
        from yimen.core.errors import DomainError
        from yimen.outreach import chores, proactive

        if op == "reply":
            try:
                done = proactive.handle_reply(options["phone"], options["text"])
            except DomainError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write("已登记退订。" if done else "不是退订关键词，未作处理。")
            return
        result = chores.run_all()
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        for name, row in result.items():
            line = f"{name}: {len(row['done'])} 条"
            if row["failed"]:
                line += f"（{row['failed']} 个失败，见日志 yimen.jobs）"
            self.stdout.write(line)
