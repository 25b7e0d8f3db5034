"""`yimen triage "<words>" [--json] [--limit N]`: what the guide desk would propose."""

import json

from django.core.management.base import BaseCommand, CommandError

from yimen.core.errors import DomainError
from yimen.guide import selectors


class Command(BaseCommand):
    help = "智能导办：输入群众的话，列出最可能要办的事项（--json 输出 JSON）。"

    def add_arguments(self, parser):
        parser.add_argument("words", nargs="+", help="群众的原话，例如：给刚出生的娃上医保")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")
        parser.add_argument("--limit", type=int, default=5, help="最多列出几个事项（默认 5）")

    def handle(self, *args, **opts):
        text = " ".join(opts["words"])
        try:
            results = selectors.triage_codes(text, limit=max(1, min(opts["limit"], 50)))
        except DomainError as exc:
            raise CommandError(exc.message if hasattr(exc, "message") else str(exc))
        if opts["json"]:
            self.stdout.write(json.dumps({"query": text, "results": results}, ensure_ascii=False))
            return
        if not results:
            self.stdout.write("没有找到相关事项，请换个说法或到引导台咨询。")
        for r in results:
            mark = "★" if r["intent"] else " "
            self.stdout.write(
                f"{mark} {r['code']:<12} {r['score']:.3f}  {r['name']}  — {'；'.join(r['why'])}"
            )
