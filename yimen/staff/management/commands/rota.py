"""`yimen rota <outlet> --from 2026-12-01 --to 2026-12-31 [--json] [--xlsx file]`: plan the A/B rota
and run the coverage check; exit status 1 when there is a gap or a double booking."""

import json

from django.core.management.base import BaseCommand, CommandError

from yimen.core import clock
from yimen.core.commands import date_arg
from yimen.core.errors import NotFound
from yimen.staff import exports, selectors


class Command(BaseCommand):
    help = "A/B 排班：生成某网点某时段的排班并做覆盖检查（有缺岗时退出码为 1）"

    def add_arguments(self, parser):
        parser.add_argument("outlet")
        parser.add_argument("--from", dest="start")
        parser.add_argument("--to", dest="end")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--xlsx", help="同时导出 Excel 到该文件")

    def handle(self, *args, outlet, start=None, end=None, **o):
        from yimen.outlets.selectors import get_outlet

        try:
            place = get_outlet(outlet)
        except NotFound as exc:
            raise CommandError(exc.message)
        start = date_arg(start, "开始日期") if start else clock.today()
        end = date_arg(end, "结束日期") if end else start
        if end < start or (end - start).days > 366:
            raise CommandError("日期范围不正确（结束不早于开始，且不超过一年）。")
        r = selectors.rota(place, start, end)
        if o.get("xlsx"):
            with open(o["xlsx"], "wb") as fh:
                fh.write(exports.rota_workbook(r))
        result = {
            "outlet": place.code,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "windows": len(r.posts),
            "open_days": sum(1 for d in r.days if d.spans),
            "assignments": len(r.assignments),
            "gaps": [
                {
                    "window": g.window,
                    "date": g.date.isoformat(),
                    "start": g.start.strftime("%H:%M"),
                    "end": g.end.strftime("%H:%M"),
                }
                for g in r.gaps
            ],
            "double_bookings": [
                {"staff": a.staff, "date": a.date.isoformat(), "windows": [a.window, b.window]}
                for a, b in r.clashes
            ],
            "duty_groups": {d.date.isoformat(): r.duty_group(d.date) for d in r.days if d.spans},
        }
        if o.get("json"):
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(
                f"{place.name} {start}～{end}：{result['windows']} 个窗口，{result['open_days']} 个开放日，"
                f"{result['assignments']} 个班次；缺岗 {len(r.gaps)} 处，一人多岗 {len(r.clashes)} 处。"
            )
            for g in r.gaps:
                self.stdout.write(f"  缺岗 {g}")
        if r.gaps or r.clashes:
            raise CommandError("排班覆盖检查未通过。", returncode=1)
