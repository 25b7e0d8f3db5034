"""`yimen feedback escalate` — the scheduled job (hourly): every 很难办 grievance whose rung is past
its time box climbs one rung; overdue rectifications and first responses are reported. Each
grievance in its own transaction: one that fails is logged and skipped (a warning line; "failed"
in --json; exit status 0).

    yimen feedback escalate [--date 2022-03-28] [--json]
    yimen feedback summary [--outlet XN-CX] [--json]
    yimen feedback demo
"""

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from yimen.core import clock
from yimen.core.commands import date_arg
from yimen.core.validators import check_date_window


class Command(BaseCommand):
    help = "好差评与办不成事：escalate（超期自动升级，定时运行）/ summary（汇总）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        esc = sub.add_parser("escalate", help="超期未决的“很难办”反映自动升级一级；列出超期整改")
        esc.add_argument("--date", help="按哪一天判断超期（默认今天）")
        esc.add_argument("--json", action="store_true")
        summ = sub.add_parser("summary", help="差评数、整改率、中位用时等")
        summ.add_argument("--outlet")
        summ.add_argument("--json", action="store_true")
        sub.add_parser("demo", help="在城西区市民服务中心生成几件演示“办不成事”反映（幂等）")

    def handle(self, *args, op, **options):
        from yimen.feedback import selectors, services
        from yimen.staff import authz

        if op == "escalate":
            today = date_arg(options["date"]) if options.get("date") else clock.today()
            check = check_date_window(
                today, latest=clock.today() + timedelta(days=366), label="--date 日期"
            )
            if not check.ok:
                raise CommandError(check.message)
            run = services.escalate_overdue(today)
            escalated = run.done
            overdue_rect = [
                r for r in selectors.rectification_rows(authz.SYSTEM, today=today) if r.flags
            ]
            overdue_griev = [
                r for r in selectors.grievance_rows(authz.SYSTEM, today=today) if r.overdue
            ]
            result = {
                "date": today.isoformat(),
                "escalated": escalated,
                "overdue_rectifications": [
                    {
                        "id": r.rect.pk,
                        "outlet": r.rect.outlet.code,
                        "flags": r.flags,
                        "rectify_due": r.rect.rectify_due.isoformat(),
                    }
                    for r in overdue_rect
                ],
                "overdue_grievances": [
                    {"number": r.g.number, "flags": r.overdue} for r in overdue_griev
                ],
                **run.as_dict(),
            }
            if run.failed:
                self.stderr.write(run.warning())
            if options["json"]:
                self.stdout.write(json.dumps(result, ensure_ascii=False))
                return
            self.stdout.write(
                f"{today}：自动升级 {len(escalated)} 件"
                + (f"（{'、'.join(escalated)}）" if escalated else "")
            )
            self.stdout.write(
                f"超期差评整改 {len(overdue_rect)} 件；超期办不成事反映 {len(overdue_griev)} 件"
            )
            return
        if op == "demo":
            from yimen.feedback.demo import load

            self.stdout.write(load(stdout=self.stdout))
            return
        from yimen.core.errors import NotFound
        from yimen.outlets.selectors import get_outlet

        try:
            outlet = get_outlet(options["outlet"]) if options.get("outlet") else None
        except NotFound as exc:
            raise CommandError(exc.message)
        data = selectors.summary(authz.SYSTEM, outlet)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str))
        else:
            for k, v in data.items():
                self.stdout.write(f"{k}: {v}")
