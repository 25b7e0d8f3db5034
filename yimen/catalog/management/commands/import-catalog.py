import json

from django.core.management.base import BaseCommand, CommandError

from yimen.catalog.importers import SOURCES
from yimen.catalog.services import import_public_catalog
from yimen.core.errors import DomainError


class Command(BaseCommand):
    help = "导入公开事项目录：yimen import-catalog gd <gd-policy.jsonl> / yimen import-catalog sc <sc-guangan-bszl.js>"

    def add_arguments(self, parser):
        parser.add_argument(
            "source", choices=sorted(SOURCES), help="gd = 广东 JSON lines；sc = 四川广安区 JS 文件"
        )
        parser.add_argument("path")
        parser.add_argument("--json", action="store_true", help="以 JSON 输出计数")
        parser.add_argument("--show-warnings", action="store_true", help="列出警告示例")

    def handle(self, *args, source, path, **options):
        try:
            counts = import_public_catalog(source, path)
        except DomainError as exc:
            raise CommandError(exc.message)
        if options["json"]:
            self.stdout.write(json.dumps(counts, ensure_ascii=False))
            return
        self.stdout.write(
            f"{SOURCES[source]}：共 {counts['total']} 项，新建 {counts['created']}，更新 {counts['updated']}，"
            f"未变 {counts['unchanged']}，警告 {counts['warnings']}（无法识别的值已留空）；"
            f"新建部门 {counts['departments_created']} 个"
        )
        if options["show_warnings"]:
            for w in counts["warning_examples"]:
                self.stdout.write("  警告：" + w)
