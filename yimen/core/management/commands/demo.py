"""`yimen demo [--if-empty] [--reset]`: load the Xining demo network.

On a database that was never migrated it migrates first (and says so); a YIMEN_DEMO_PASSWORD
shorter than 10 characters is refused before anything is touched. Both in one line, no traceback."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils.module_loading import import_string

from yimen.core.errors import DomainError


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> int:
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = "载入西宁演示网点（事项、网点、窗口、人员……）。--reset 清空整个数据库后重新载入（仅用于演示库）；--if-empty 仅在库为空时载入。"

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true")
        parser.add_argument("--if-empty", action="store_true")

    def handle(self, *args, reset=False, if_empty=False, **options):
        from yimen.outlets.models import Outlet
        from yimen.staff.demo import demo_password

        try:
            demo_password()
        except DomainError as exc:
            raise CommandError(exc.message)
        pending = unapplied_migrations()
        if pending:
            self.stdout.write(f"数据库尚未迁移（{pending} 个迁移未执行）：先执行迁移……")
            call_command("migrate", interactive=False, verbosity=0)
        if if_empty and Outlet.objects.exists() and not reset:
            self.stdout.write("数据库已有网点数据，跳过演示数据载入。")
            return
        loaders = [import_string(path) for path in settings.YIMEN_DEMO_LOADERS]
        if reset:
            # A demo database is rebuilt from scratch: cases, tickets and audit rows reference the
            # demo outlets, so removing only the demo rows would leave a half-deleted network.
            self.stdout.write("--reset：清空整个数据库后重新载入演示数据。")
            call_command("flush", interactive=False, verbosity=0)
        with transaction.atomic():
            for loader in loaders:
                message = loader(stdout=self.stdout)
                if message:
                    self.stdout.write(message)
        for path in getattr(settings, "YIMEN_DEMO_EXTRAS", []):
            try:
                with transaction.atomic():
                    message = import_string(path)(stdout=self.stdout)
                if message:
                    self.stdout.write(message)
            except Exception as exc:  # sample activity is optional: never block `make run`
                self.stderr.write(f"演示业务数据未载入（{path}）：{exc}")
        from yimen.core import changes

        changes.bump_all()  # a running server (PostgreSQL) drops what it cached of the old network
        self.stdout.write(self.style.SUCCESS("演示数据已载入。"))
