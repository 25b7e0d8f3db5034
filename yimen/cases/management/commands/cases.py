"""`yimen cases refresh [--date YYYY-MM-DD] [--json]` — scheduled job: time-limit status (正常/预警/逾期)
of all open cases, 容缺 reminders one working day before the deadline, termination of 容缺 cases
whose materials did not arrive in time. Each case in its own transaction: one that fails is logged
and skipped (a warning line; "failed" in --json; exit status 0). `yimen cases trips --json` — the 最多跑一次 metric.
`yimen cases demo` — a few demo cases made by the demo staff (after `yimen demo`)."""

import json
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from yimen.core import clock
from yimen.core.validators import check_date_window


class Command(BaseCommand):
    help = "办件：刷新时限状态（定时任务）、跑动次数统计"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        refresh = sub.add_parser("refresh", help="刷新时限状态、容缺提醒与逾期终止")
        refresh.add_argument("--date", help="按该日期计算（默认今天）")
        refresh.add_argument("--json", action="store_true")
        trips = sub.add_parser("trips", help="最多跑一次：每件跑动次数")
        trips.add_argument("--json", action="store_true")
        sub.add_parser("demo", help="用演示工作人员办几件演示办件（先运行 yimen demo）")

    def handle(self, *args, **opts):
        from yimen.cases import selectors, services

        if opts["sub"] == "refresh":
            on = None
            if opts.get("date"):
                try:
                    on = date.fromisoformat(opts["date"])
                except ValueError:
                    raise CommandError("日期格式应为 YYYY-MM-DD。")
                check = check_date_window(
                    on, latest=clock.today() + timedelta(days=366), label="--date 日期"
                )
                if not check.ok:
                    raise CommandError(check.message)
            from yimen.core.jobs import JobRun

            run = JobRun("cases.refresh")
            counts = services.refresh_time_status(on, run)
            if run.failed:
                self.stderr.write(run.warning())
            if opts["json"]:
                self.stdout.write(json.dumps(counts, ensure_ascii=False))
            else:
                self.stdout.write(
                    f"正常 {counts['normal']} 件，预警 {counts['warning']} 件，逾期 {counts['overdue']} 件；"
                    f"容缺提醒 {counts['reminded']} 件，逾期终止 {counts['terminated']} 件。"
                )
        elif opts["sub"] == "demo":
            from yimen.cases.demo import load

            self.stdout.write(load())
        elif opts["sub"] == "trips":
            metric = selectors.trips_metric()
            metric["handling_immediate"] = selectors.handling_times()
            if opts["json"]:
                self.stdout.write(json.dumps(metric, ensure_ascii=False))
            else:
                self.stdout.write(
                    f"办件 {metric['cases']} 件，到场 {metric['trips']} 次，平均 {metric['average']} 次/件，"
                    f"一次办成率 {metric['one_trip_rate']:.1%}。"
                )
