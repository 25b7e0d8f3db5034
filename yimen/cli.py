"""The `yimen` command: Django's management commands with Yimen's settings preset.

`yimen serve`, `yimen demo`, `yimen workdays add …`, `yimen triage …` etc. are management
commands of the apps; anything else Django offers (`yimen migrate`, `yimen createsuperuser`)
works too.

Production mode (YIMEN_DEBUG not 1) without YIMEN_SECRET_KEY and YIMEN_DATA_KEY: every command
that could sign, encrypt or read personal data stops here with one line (exit status 2); only the
ones below, which touch neither, still run.
"""

import os
import sys

KEYLESS_COMMANDS = {
    "help",
    "version",
    "--help",
    "-h",
    "--version",
    "check",
    "showmigrations",
    "makemigrations",
    "collectstatic",
    "migrate",
    "sqlmigrate",
    "diffsettings",
}


def missing_keys_message(missing) -> str:
    return (
        f"一门未启动：生产模式（YIMEN_DEBUG 未设为 1）必须设置 {' 和 '.join(missing)}"
        "（见 docs/security.md「密钥管理」；本机演示请用 make run 或设 YIMEN_DEBUG=1）。"
    )


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else "help"
    missing = getattr(settings, "YIMEN_MISSING_KEYS", [])
    if missing and command not in KEYLESS_COMMANDS:
        sys.stderr.write(missing_keys_message(missing) + "\n")
        sys.exit(2)
    execute_from_command_line(["yimen", *args])


if __name__ == "__main__":
    main()
