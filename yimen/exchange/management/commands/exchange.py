"""`yimen exchange reconcile [--date YYYY-MM-DD] [--force] [--json]` — the 好差评 reconciliation of
one day (default yesterday) for every outlet (the worker runs it hourly on its own);
`yimen exchange simulator [--port N]` — the local simulator (模拟器) for demonstrations."""

import json
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "政务数据交换：reconcile（好差评对账并补推）/ simulator（启动本地模拟器）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        rec = sub.add_parser("reconcile", help="对账某一天（默认昨天），补推缺失的评价数据")
        rec.add_argument("--date", default="")
        rec.add_argument("--force", action="store_true", help="已对账的网点也重新对账")
        rec.add_argument("--json", action="store_true")
        sim = sub.add_parser("simulator", help="启动本地模拟器（非真实政务平台）")
        sim.add_argument("--port", type=int, default=8765)

    def handle(self, *args, op, **options):
        if op == "simulator":  # pragma: no cover - a foreground demo server
            from yimen.exchange.simulator import main

            return main(["--port", str(options["port"])])
        from yimen.core import clock
        from yimen.exchange.models import Reconciliation
        from yimen.exchange.reconcile import reconcile_day

        try:
            day = (
                date.fromisoformat(options["date"])
                if options["date"]
                else clock.today() - timedelta(days=1)
            )
        except ValueError:
            raise CommandError("日期格式应为 YYYY-MM-DD。") from None
        run = reconcile_day(day, force=options["force"])
        rows = [
            {
                "outlet_code": r.outlet_code,
                "ours": r.ours,
                "acknowledged": r.acknowledged,
                "missing": r.missing,
                "repushed": r.repushed,
                "error": r.error,
            }
            for r in Reconciliation.objects.filter(day=day).order_by("outlet_code")
        ]
        if options["json"]:
            out = {"day": day.isoformat(), "outlets": rows, "failed": run.failed}
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(f"{day}：没有需要对账的数据（或未配置好差评系统地址）。")
        for r in rows:
            self.stdout.write(
                f"{day} {r['outlet_code']}：本地 {r['ours']}，对方 {r['acknowledged']}，"
                f"缺失 {r['missing']}，补推 {r['repushed']}{'，' + r['error'] if r['error'] else ''}"
            )
        if run.failed:
            self.stderr.write(run.warning())
