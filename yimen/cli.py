"""The `yimen` command: Django's management commands with Yimen's settings preset.

`yimen serve`, `yimen demo`, `yimen workdays add …`, `yimen triage …` etc. are management
commands of the apps; anything else Django offers (`yimen migrate`, `yimen createsuperuser`)
works too.
"""
import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yimen", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
