"""`yimen grant-admin USERNAME [--name 姓名]`: give the account `yimen createsuperuser` made the
管理员 staff profile. Without one, /staff/login/ (and so /admin/, which signs in there) refuses it
as "not a staff account" — the first administrator of a fresh install could not sign in at all
(docs/operations.md §0 step 5)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from yimen.staff import services
from yimen.staff.models import ADMIN, Staff


class Command(BaseCommand):
    help = "给 createsuperuser 建的账号授予管理员身份（工作人员档案），以便在 /staff/login/ 登录"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="姓名（默认用用户名）")

    def handle(self, *args, username="", name="", **opts):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到账号：{username}（先运行 yimen createsuperuser）。")
        if not user.is_superuser:
            raise CommandError("只能给超级用户（yimen createsuperuser 建的账号）授予管理员身份。")
        existing = Staff.objects.filter(user=user).first()
        if existing is not None:
            if existing.role == ADMIN:
                self.stdout.write(f"{username} 已是管理员。")
                return
            raise CommandError(f"该账号已是{existing.get_role_display()}，请在后台修改其角色。")
        # the superuser itself is the actor: save_staff lets Django's own superuser create staff
        services.save_staff(user, Staff(user=user, name=name or username, role=ADMIN))
        self.stdout.write(
            f"{username} 现为管理员：请在 /staff/login/ 登录（生产模式下首次登录绑定动态口令）。"
        )
