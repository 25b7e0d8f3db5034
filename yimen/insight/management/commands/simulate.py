"""yimen simulate <scenario.yaml> [--json] [--policy P] [--seed N] [--replications N]"""

import json
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from yimen.core.errors import DomainError
from yimen.insight import simulation


def read_yaml(path: str, what: str) -> dict:
    p = Path(path)
    if not p.exists():
        raise CommandError(f"找不到{what}文件：{path}")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CommandError(f"{what}文件不是合法的 YAML：{exc}")
    except UnicodeDecodeError:
        raise CommandError(f"{what}文件应为 UTF-8 编码：{path}")
    if not isinstance(data, dict):
        raise CommandError(f"{what}文件应为一个 YAML 映射（键: 值）")
    return data


class Command(BaseCommand):
    help = "数字孪生：按场景文件仿真一个网点的排队（叫号规则与线上系统相同）"

    def add_arguments(self, parser):
        parser.add_argument("scenario", help="场景 YAML 文件")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 文档")
        parser.add_argument("--policy", choices=simulation.POLICIES, help="覆盖场景中的策略")
        parser.add_argument("--seed", type=int, help="覆盖随机种子")
        parser.add_argument("--replications", type=int, help="覆盖重复次数")

    def handle(self, *args, scenario, **options):
        data = read_yaml(scenario, "场景")
        for key in ("policy", "seed", "replications"):
            if options.get(key) is not None:
                data[key] = options[key]
        try:
            result = simulation.run(data)
        except DomainError as exc:
            raise CommandError(exc.message)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(simulation.describe(result))
