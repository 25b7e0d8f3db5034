"""`yimen token --staff <username>` / `--device <outlet_code>` print a new API token ONCE;
`--revoke <prefix>` revokes; `--list` lists tokens (prefix only, never the token)."""

import json

from django.core.management.base import BaseCommand, CommandError

from yimen.staff.models import ApiToken, Staff
from yimen.staff.tokens import issue_token, revoke_token


class Command(BaseCommand):
    help = "接口令牌：--staff 用户名 | --device 网点编码 签发（只显示一次）；--revoke 前缀 吊销；--list 列出"

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--staff", metavar="USERNAME")
        group.add_argument("--device", metavar="OUTLET")
        group.add_argument("--revoke", metavar="PREFIX")
        group.add_argument("--list", action="store_true")
        parser.add_argument("--label", default="", help="令牌名称，如 “2F 叫号屏”")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **o):
        if o["staff"]:
            staff = Staff.objects.select_related("user").filter(user__username=o["staff"]).first()
            if staff is None or not staff.active or not staff.user.is_active:
                raise CommandError(f"找不到在岗的工作人员：{o['staff']}")
            token, raw = issue_token(staff=staff, label=o["label"], actor="cli")
            self._issued(token, raw, o)
        elif o["device"]:
            from yimen.outlets.models import Outlet

            outlet = Outlet.objects.filter(code=o["device"]).first()
            if outlet is None:
                raise CommandError(f"找不到网点：{o['device']}")
            token, raw = issue_token(outlet=outlet, label=o["label"], actor="cli")
            self._issued(token, raw, o)
        elif o["revoke"]:
            prefix = o["revoke"].strip()
            if len(prefix) < 6:
                raise CommandError("前缀至少 6 个字符（如 ym_AbCdEf）。")
            matches = list(
                ApiToken.objects.filter(key_prefix__startswith=prefix[:10], revoked_at__isnull=True)
            )
            if not matches:
                raise CommandError(f"没有以 {prefix} 开头的有效令牌。")
            if len(matches) > 1:
                raise CommandError(f"前缀 {prefix} 对应多个令牌，请提供更长的前缀。")
            revoke_token(matches[0], actor="cli")
            self.stdout.write(f"已吊销令牌 {matches[0].key_prefix}…（{matches[0].label}）")
        else:
            rows = [
                {
                    "prefix": t.key_prefix,
                    "label": t.label,
                    "kind": "staff" if t.staff_id else "device",
                    "created_at": t.created_at.isoformat(),
                    "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                    "revoked": t.revoked_at is not None,
                }
                for t in ApiToken.objects.order_by("created_at")
            ]
            if o["json"]:
                self.stdout.write(json.dumps(rows, ensure_ascii=False))
                return
            for r in rows:
                state = "已吊销" if r["revoked"] else "有效"
                self.stdout.write(
                    f"{r['prefix']}…  {r['label']}  {state}  签发 {r['created_at'][:16]}"
                )
            if not rows:
                self.stdout.write("没有令牌。")

    def _issued(self, token, raw, o):
        if o["json"]:
            self.stdout.write(
                json.dumps(
                    {"token": raw, "prefix": token.key_prefix, "label": token.label},
                    ensure_ascii=False,
                )
            )
        else:
            self.stdout.write(
                f"新令牌（只显示这一次，请立即保存）：\n{raw}\n名称：{token.label}；吊销：yimen token --revoke {token.key_prefix}"
            )
