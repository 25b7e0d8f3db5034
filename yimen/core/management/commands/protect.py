"""`yimen protect status` — how many protected values each data key encrypted;
`yimen protect rekey` — re-encrypt values written with an old key (see docs/security.md)."""

import json

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from yimen.core import audit
from yimen.core.fields import (
    ProtectedCharField,
    ProtectedDataError,
    current_key_id,
    is_encrypted,
    stored_key_id,
)


def protected_fields():
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, ProtectedCharField):
                yield model, field


def _raw_rows(model, field):
    table, column, pk = model._meta.db_table, field.column, model._meta.pk.column
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {q(pk)}, {q(column)} FROM {q(table)}")
        return cursor.fetchall()


class Command(BaseCommand):
    help = "受保护个人信息：status 查看各密钥加密的条数；rekey 用当前密钥重新加密旧数据"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "rekey"])
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, action="status", **opts):
        with transaction.atomic():  # rekey: all or nothing
            report = self._run(action)
        self._print(report, action, opts)

    def _run(self, action):
        current = current_key_id()
        report = {"current_key": current, "fields": [], "rekeyed": 0}
        for model, field in protected_fields():
            counts, stale = {}, []
            for pk, stored in _raw_rows(model, field):
                if not stored:
                    continue
                kid = stored_key_id(stored) if is_encrypted(stored) else "plain"
                counts[kid] = counts.get(kid, 0) + 1
                if kid != current:
                    stale.append(pk)
            if action == "rekey" and stale:
                try:
                    for obj in model._default_manager.filter(pk__in=stale):
                        obj.save()  # reads decrypt with any configured key; the write uses the current one
                except ProtectedDataError as exc:
                    raise CommandError(f"{model._meta.label}.{field.name}：{exc}（未改动任何数据）")
                report["rekeyed"] += len(stale)
            report["fields"].append(
                {
                    "field": f"{model._meta.label}.{field.name}",
                    "counts": counts,
                    "stale": len(stale),
                }
            )
        if action == "rekey" and report["rekeyed"]:
            audit.record(
                "cli",
                "protect.rekey",
                None,
                object_type="core.protected",
                object_id=current,
                after={"rekeyed": report["rekeyed"]},
            )
        return report

    def _print(self, report, action, opts):
        current = report["current_key"]
        if opts["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        self.stdout.write(f"当前数据密钥编号：{current}")
        for row in report["fields"]:
            self.stdout.write(
                f"  {row['field']}: {row['counts'] or '无数据'}（需重新加密 {row['stale']} 条）"
            )
        if action == "rekey":
            self.stdout.write(f"已重新加密 {report['rekeyed']} 条。")
