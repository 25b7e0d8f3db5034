from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yimen.catalog.services import CatalogImportRejected, export_catalog_excel, import_catalog_excel
from yimen.core.errors import DomainError


class Command(BaseCommand):
    help = "事项库 Excel：yimen catalog export <文件.xlsx> / yimen catalog import <文件.xlsx>"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        export = sub.add_parser("export", help="导出全部事项和材料到 Excel")
        export.add_argument("file")
        export.add_argument("--prefix", default="", help="只导出编码以此开头的事项，如 XN-")
        imp = sub.add_parser("import", help="从 Excel 导入（先检查全部行，有错则不导入）")
        imp.add_argument("file")

    def handle(self, *args, op, file, **options):
        path = Path(file)
        if op == "export":
            from yimen.catalog.models import ServiceItem

            qs = ServiceItem.objects.all()
            if options.get("prefix"):
                qs = qs.filter(code__startswith=options["prefix"])
            data = export_catalog_excel(qs)
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise CommandError(f"无法写入 {path}：{exc}")
            self.stdout.write(f"已导出 {qs.count()} 个事项到 {path}")
            return
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取 {path}：{exc}")
        try:
            counts = import_catalog_excel(data)
        except CatalogImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(str(exc))
        except DomainError as exc:
            raise CommandError(exc.message)
        self.stdout.write(
            f"共 {counts['total']} 项：新建 {counts['created']}，更新 {counts['updated']}，未变 {counts['unchanged']}；"
            f"新建部门 {counts['departments_created']} 个"
        )
