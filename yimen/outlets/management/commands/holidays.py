import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yimen.core.services import import_holiday_cn


class Command(BaseCommand):
    help = "节假日表：yimen holidays import <文件或目录>（holiday-cn JSON 格式，每年一个文件，导入后以本表为准）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        imp = sub.add_parser("import", help="导入 holiday-cn JSON 文件（或目录下全部 *.json）")
        imp.add_argument("path")
        imp.add_argument("--json", action="store_true")

    def handle(self, *args, op, path, **options):
        target = Path(path)
        if target.is_dir():
            files = sorted(target.glob("*.json"))
            if not files:
                raise CommandError(f"目录 {target} 中没有 .json 文件")
        elif target.is_file():
            files = [target]
        else:
            raise CommandError(f"找不到文件或目录：{target}")
        documents = []
        for file in files:
            try:
                document = json.loads(file.read_text(encoding="utf-8"))
                if (
                    not isinstance(document, dict)
                    or "year" not in document
                    or not isinstance(document.get("days", []), list)
                ):
                    raise ValueError("缺少 year 或 days")
                for day in document.get("days", []):
                    if "date" not in day or "isOffDay" not in day:
                        raise ValueError(f"days 中的条目缺少 date 或 isOffDay：{day}")
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                raise CommandError(f"{file} 不是有效的 holiday-cn 文件：{exc}")
            documents.append((file, document))
        results = []
        for file, document in documents:
            try:
                results.append(import_holiday_cn(document, source=file.name))
            except (ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"{file} 导入失败：{exc}")
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False))
            return
        for r in results:
            self.stdout.write(
                f"{r['year']} 年：{r['days']} 天（新增 {r['created']}，修改 {r['changed']}，删除 {r['removed']}）"
                + ("" if r["published"] else "，未发布官方安排（按周一至周五推算，标为未核实）")
            )
