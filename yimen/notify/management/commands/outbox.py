"""`yimen outbox list [--phone P] [--json]` and `yimen outbox retry ID` (numbers always masked)."""

import json

from django.core.management.base import BaseCommand, CommandError

from yimen.core.errors import DomainError
from yimen.notify import selectors, services


class Command(BaseCommand):
    help = "发件箱：list 列出消息（号码脱敏），retry 重发一条失败/放弃的消息"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        lst = sub.add_parser("list", help="列出消息")
        lst.add_argument("--phone", help="只看这个手机号的消息")
        lst.add_argument("--status", choices=["pending", "sent", "failed", "dead"])
        lst.add_argument("--limit", type=int, default=200)
        lst.add_argument("--json", action="store_true")
        retry = sub.add_parser("retry", help="重发一条消息")
        retry.add_argument("id", type=int)

    def handle(self, *args, op, **options):
        if op == "retry":
            try:
                msg = services.retry(options["id"])
            except DomainError as exc:
                raise CommandError(str(exc))
            self.stdout.write(f"消息 {msg.pk} 已重新排队（{msg.to_masked}）")
            return
        qs = selectors.messages_for(phone=options.get("phone"))
        if options.get("status"):
            qs = qs.filter(status=options["status"])
        rows = [selectors.as_row(m) for m in qs.order_by("-id")[: options["limit"]]]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']:>6} {r['status']:<7} {r['to']} {r['template']:<24} "
                f"{r['created_at'][:19]} {r['dedupe_key']}"
            )
