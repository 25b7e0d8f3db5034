"""Admin: the outbox (numbers masked, sensitive parameters hidden), retry of dead messages for
administrators (superusers) only."""

from django.contrib import admin, messages

from yimen.core.errors import DomainError

from . import selectors, services
from .models import ChoreSchedule, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "to", "template", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "template", "channel"]
    search_fields = ["dedupe_key", "template"]
    actions = ["retry_messages"]
    fields = [
        "status",
        "to",
        "template",
        "text",
        "dedupe_key",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider",
        "provider_message_id",
        "receipt_status",
        "receipt_at",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields

    @admin.display(description="接收号码")
    def to(self, obj):
        return obj.to_masked

    @admin.display(description="内容")
    def text(self, obj):
        return selectors.text_of(obj)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="重发所选的失败/放弃消息")
    def retry_messages(self, request, queryset):
        if not request.user.is_superuser:
            self.message_user(request, "只有管理员可以重发消息。", messages.ERROR)
            return
        done = 0
        for msg in queryset:
            try:
                services.retry(msg.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"消息 {msg.pk}：{exc}", messages.WARNING)
        self.message_user(request, f"已重新排队 {done} 条消息。")


@admin.register(ChoreSchedule)
class ChoreScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "next_run_at", "last_started_at", "last_result"]
    readonly_fields = ["name", "next_run_at", "last_started_at", "last_result"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False
