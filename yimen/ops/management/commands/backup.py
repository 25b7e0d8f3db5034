"""`yimen backup create <dump>` and `yimen backup verify <dump> [--anchor ID:HASH] [--keep]`
(PostgreSQL; yimen/ops/backup.py, docs/operations.md "Backups and restore drills")."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yimen.ops import backup
from yimen.ops.cluster import database_url


class Command(BaseCommand):
    help = "备份：create 导出数据库与清单；verify 恢复到临时库并核对行数与审计链"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        create = sub.add_parser("create", help="pg_dump 导出，并写同一快照的清单（<dump>.json）")
        create.add_argument("dump")
        verify = sub.add_parser("verify", help="恢复到临时库，核对各表行数、审计链与链头")
        verify.add_argument("dump")
        verify.add_argument("--anchor", default="", help="库外保存的链头 ID:HASH（默认取清单）")
        verify.add_argument("--keep", action="store_true", help="保留临时库（排查用）")
        verify.add_argument("--json", action="store_true")

    def handle(self, *args, sub=None, dump="", **opts):
        url = database_url()
        if not url.startswith("postgres"):
            raise CommandError("备份演练需要 PostgreSQL（SQLite 的备份见 docs/operations.md）。")
        path = Path(dump)
        if sub == "create":
            manifest = backup.create(url, path)
            self.stdout.write(
                f"已备份到 {path}（{len(manifest['tables'])} 张表，"
                f"{sum(manifest['tables'].values())} 行；审计链头第 {manifest['head_id']} 条）"
            )
            return
        if not path.exists():
            raise CommandError(f"找不到备份文件：{path}")
        result = backup.verify(url, path, anchor=opts["anchor"], keep=opts["keep"])
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": result.ok,
                        "scratch": result.scratch,
                        "tables": result.tables,
                        "rows": result.rows,
                        "problems": result.problems,
                        "audit": result.audit,
                    },
                    ensure_ascii=False,
                )
            )
        elif result.ok:
            self.stdout.write(
                f"备份可恢复：{result.tables} 张表 {result.rows} 行与清单一致；"
                f"审计链完整，链头第 {result.audit.get('head_id')} 条与备份时一致。"
            )
        else:
            self.stdout.write("备份校验未通过：")
            for problem in result.problems:
                self.stdout.write(f"  - {problem}")
        if not result.ok:
            raise CommandError("备份校验未通过。", returncode=1)
