from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "载入西宁演示网点（事项、网点、窗口、人员……）。--reset 先清空演示数据；--if-empty 仅在库为空时载入。"

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true")
        parser.add_argument("--if-empty", action="store_true")

    def handle(self, *args, reset=False, if_empty=False, **options):
        from yimen.outlets.models import Outlet

        if if_empty and Outlet.objects.exists() and not reset:
            self.stdout.write("数据库已有网点数据，跳过演示数据载入。")
            return
        loaders = [import_string(path) for path in settings.YIMEN_DEMO_LOADERS]
        with transaction.atomic():
            if reset:
                for loader in reversed(loaders):
                    reset_fn = getattr(loader, "reset", None)
                    if reset_fn:
                        reset_fn()
            for loader in loaders:
                message = loader(stdout=self.stdout)
                if message:
                    self.stdout.write(message)
        self.stdout.write(self.style.SUCCESS("演示数据已载入。"))
