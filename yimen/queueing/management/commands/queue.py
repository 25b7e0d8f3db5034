"""`yimen queue expire`: lapse remote tickets whose holders did not check in in time. Each ticket
in its own transaction: one that fails is logged and skipped (a warning line; "failed" in --json;
exit status 0)."""

import json

from django.core.management.base import BaseCommand

from yimen.queueing import services


class Command(BaseCommand):
    help = "排队叫号维护：expire（远程取号超时未签到的号作废）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["expire"])
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, action, **options):
        run = services.expire_remote()
        count = len(run.done)
        if run.failed:
            self.stderr.write(run.warning())
        if options["json"]:
            self.stdout.write(json.dumps({"expired": count, **run.as_dict()}, ensure_ascii=False))
        else:
            self.stdout.write(f"已作废超时未签到的远程号：{count} 个")
