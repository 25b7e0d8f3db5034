"""Admin for staff data. Window sessions, tokens, lockouts and TOTP devices are read-only here:
their changes go through the services (audited). Staff are saved through services.save_staff
(audited; taking someone off duty signs them out and revokes their tokens) and are taken off
duty rather than deleted (their cases, tickets and audit entries refer to them). Phones are shown
masked in lists."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from yimen.core.admin import ReadOnlyAdmin
from yimen.core.errors import DomainError
from yimen.core.masking import mask_phone

from . import services
from .models import ApiToken, Leave, LoginLock, ShiftSwap, Staff, TotpDevice, WindowSession


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "role",
        "outlet",
        "department",
        "shift_group",
        "home_window",
        "masked_phone",
        "active",
    ]
    list_filter = ["role", "shift_group", "active", "outlet"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user", "home_window"]

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    actions = ["unlock_sign_in"]

    @admin.action(description="解除所选人员的登录锁定（所有来源地址）")
    def unlock_sign_in(self, request, queryset):
        _unlock(
            self,
            request,
            [(staff.user.username, None) for staff in queryset.select_related("user")],
        )

    def save_model(self, request, obj, form, change):
        services.save_staff(request.user, obj, request=request)

    def has_delete_permission(self, request, obj=None):
        return False  # 停用（取消「在岗」）而非删除

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except DomainError as exc:  # refused by the service (e.g. not a 管理员): nothing was saved
            self.message_user(request, f"未保存：{exc.message}", level=messages.ERROR)
            return HttpResponseRedirect(request.path)


@admin.register(WindowSession)
class WindowSessionAdmin(ReadOnlyAdmin):
    list_display = [
        "window",
        "staff",
        "state",
        "pause_reason",
        "started_at",
        "ended_at",
        "ended_reason",
    ]
    list_filter = ["state", "window__outlet"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = [
        "label",
        "key_prefix",
        "staff",
        "device_outlet",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["key_hash"]


def _unlock(model_admin, request, targets):
    """services.unlock for each (username, source); one message with the count, or the refusal."""
    lifted = 0
    try:
        for username, source in targets:
            lifted += services.unlock(request.user, username, source=source, request=request)
    except DomainError as exc:
        model_admin.message_user(request, f"未解锁：{exc.message}", level=messages.ERROR)
        return
    model_admin.message_user(
        request, f"已解除 {lifted} 个登录锁定（已记入审计日志）。", level=messages.SUCCESS
    )


@admin.register(LoginLock)
class LoginLockAdmin(ReadOnlyAdmin):
    list_display = ["username", "source", "locked_at", "locked_until"]
    search_fields = ["username", "source"]
    actions = ["unlock_selected"]

    @admin.action(description="解除所选登录锁定")
    def unlock_selected(self, request, queryset):
        _unlock(self, request, [(lock.username, lock.source) for lock in queryset])


@admin.register(TotpDevice)
class TotpDeviceAdmin(ReadOnlyAdmin):
    list_display = ["staff", "confirmed_at"]
    exclude = ["secret"]


@admin.register(Leave)
class LeaveAdmin(ReadOnlyAdmin):
    list_display = ["staff", "start", "end", "kind", "substitute", "created_by", "cancelled_at"]


@admin.register(ShiftSwap)
class ShiftSwapAdmin(ReadOnlyAdmin):
    list_display = ["outlet", "date", "from_staff", "to_staff", "created_by", "cancelled_at"]
