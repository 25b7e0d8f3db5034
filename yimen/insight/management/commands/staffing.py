"""yimen staffing <profile.yaml> [--json]"""

import json

from django.core.management.base import BaseCommand, CommandError

from yimen.core.errors import DomainError
from yimen.insight import staffing

from .simulate import read_yaml


class Command(BaseCommand):
    help = "排班测算：每半小时按 Erlang C（必要时 Allen–Cunneen 修正）计算所需窗口数，并与 A/B 排班比较"

    def add_arguments(self, parser):
        parser.add_argument("profile", help="测算配置 YAML 文件")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")

    def handle(self, *args, profile, **options):
        data = read_yaml(profile, "测算配置")
        try:
            result = staffing.load_profile(data)
        except DomainError as exc:
            raise CommandError(exc.message)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.stdout.write(staffing.describe(result))
