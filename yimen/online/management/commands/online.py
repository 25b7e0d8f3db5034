"""`yimen online refresh [--json]` — scheduled job: 网上预审 deadlines (正常/预警/逾期), each
application in its own transaction. `yimen online figures [--json]` — 网办率, 全程网办率, 零跑动."""

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "网上申报：刷新预审时限（定时任务）、网办指标"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        refresh = sub.add_parser("refresh", help="刷新网上预审时限状态")
        refresh.add_argument("--json", action="store_true")
        figures = sub.add_parser("figures", help="网办率、全程网办率、零跑动占比")
        figures.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        from yimen.core.jobs import JobRun

        if opts["sub"] == "refresh":
            from yimen.online.backoffice import precheck_chore

            run = JobRun("online.refresh")
            out = precheck_chore(run)
            if run.failed:
                self.stderr.write(run.warning())
            if opts["json"]:
                self.stdout.write(json.dumps(out, ensure_ascii=False))
            else:
                self.stdout.write(f"网上预审时限：更新 {len(out['changed'])} 件")
            return
        from yimen.online.figures import overall

        out = overall()
        if opts["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(
                f"办件 {out['cases']} 件，网办率 {out['online_rate']:.1%}，"
                f"全程网办率 {out['fully_online_rate']:.1%}，零跑动 {out['zero_trip_rate']:.1%}"
            )
