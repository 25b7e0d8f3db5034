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
    list_display = ["name", "user", "role", "outlet", "department", "shift_group", "home_window", "masked_phone",
                    "active"]
    list_filter = ["role", "shift_group", "active", "outlet"]
    search_fields = ["name", "user__username"]
    raw_id_fields = ["user", "home_window"]

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

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
    list_display = ["window", "staff", "state", "pause_reason", "started_at", "ended_at", "ended_reason"]
    list_filter = ["state", "window__outlet"]


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["label", "key_prefix", "staff", "device_outlet", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]


@admin.register(LoginLock)
class LoginLockAdmin(ReadOnlyAdmin):
    list_display = ["username", "locked_at", "locked_until"]


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
