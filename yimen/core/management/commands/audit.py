"""`yimen audit verify [--json] [--anchor ID:HASH]`: walk the audit hash chain; exit status 1 when
it is broken. The JSON document carries ok, count, head_id and head_hash: keep them outside the
database (docs/security.md) and pass one back with --anchor to check that the history up to it was
not rewritten. `yimen audit tail [-n 20]`: the latest entries, with their source address."""

import json

from django.core.management.base import BaseCommand, CommandError

from yimen.core import audit
from yimen.core.models import AuditEntry
from yimen.core.validators import parse_id


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链（发现被修改或删除的记录）；tail 查看最近记录"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="sub", required=True)
        verify = sub.add_parser("verify", help="校验审计日志哈希链")
        verify.add_argument(
            "--json",
            action="store_true",
            help="输出一个 JSON 文档（含 ok、count、head_id、head_hash）",
        )
        verify.add_argument(
            "--anchor", default="", help="此前在库外保存的链头，格式 ID:HASH；校验它仍在链上"
        )
        tail = sub.add_parser("tail", help="最近的审计记录")
        tail.add_argument("-n", type=int, default=20)

    def handle(self, *args, sub=None, **opts):
        if sub == "tail":
            for entry in reversed(list(AuditEntry.objects.order_by("-id")[: opts["n"]])):
                # the source address: how an operator checks the proxy passes the real client on
                source = f" 来源 {entry.source_ip}" if entry.source_ip else ""
                self.stdout.write(f"#{entry.pk} {entry}{source}")
            return
        report = audit.verify_report()
        anchor = (opts.get("anchor") or "").strip()
        if anchor:
            head_id, _, head_hash = anchor.partition(":")
            if parse_id(head_id) is None or not head_hash:
                raise CommandError(
                    "--anchor 的格式应为 ID:HASH（取自此前 verify --json 的 head_id 与 head_hash）。"
                )
            report["anchor_ok"] = audit.anchored(int(head_id), head_hash)
            if not report["anchor_ok"]:
                report["ok"] = False
                report["problems"].append(
                    f"库外保存的链头（第 {head_id} 条）已不在链上：历史记录被改写。"
                )
        if opts.get("json"):
            self.stdout.write(json.dumps(report, ensure_ascii=False))
        else:
            if report["ok"]:
                self.stdout.write(
                    f"审计日志完整：共 {report['entries']} 条，哈希链校验通过。"
                    f"链头：第 {report['head_id']} 条 {report['head_hash']}"
                )
            else:
                self.stdout.write(
                    f"审计日志异常：共 {report['entries']} 条，发现 {len(report['problems'])} 处问题："
                )
                for problem in report["problems"]:
                    self.stdout.write(f"  - {problem}")
        if not report["ok"]:
            raise CommandError("审计日志校验未通过。", returncode=1)
