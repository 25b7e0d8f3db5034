import json

from django.core.management.base import BaseCommand

from yimen.core.commands import date_arg
from yimen.core.selectors import work_calendar


class Command(BaseCommand):
    help = "工作日计算：yimen workdays add 2025-09-30 5 / yimen workdays between A B"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        add = sub.add_parser("add", help="某日之后第 n 个工作日")
        add.add_argument("date")
        add.add_argument("n", type=int)
        add.add_argument("--json", action="store_true")
        between = sub.add_parser("between", help="(a, b] 之间的工作日数")
        between.add_argument("a")
        between.add_argument("b")
        between.add_argument("--json", action="store_true")

    def handle(self, *args, op, **options):
        cal = work_calendar()
        if op == "add":
            answer = cal.add_workdays(date_arg(options["date"]), options["n"])
            if options["json"]:
                self.stdout.write(json.dumps(answer.as_dict(), ensure_ascii=False))
            else:
                self.stdout.write(
                    answer.date.isoformat()
                    + (
                        ""
                        if answer.verified
                        else "  （未核实：该年度无官方节假日安排，按周一至周五计算）"
                    )
                )
        else:
            a, b = date_arg(options["a"]), date_arg(options["b"])
            n = cal.workdays_between(a, b)
            verified = cal.is_verified(a) and cal.is_verified(b)
            if options["json"]:
                self.stdout.write(json.dumps({"workdays": n, "verified": verified}))
            else:
                self.stdout.write(str(n))
