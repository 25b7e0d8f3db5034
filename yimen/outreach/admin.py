"""Read-only views for administrators: what triggers queued, who unsubscribed, the planned
yearly reminders and their consents, staff notices. Numbers and names masked; nothing editable
here (writes go through the services: consent is withdrawn at the window, an opt-out is the
person's)."""

from django.contrib import admin

from yimen.core.masking import mask_name, mask_phone

from .models import Consent, Notice, OptOut, Trigger, YearlyReminder


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Trigger)
class TriggerAdmin(ReadOnly):
    list_display = ["created_at", "kind", "phone_masked", "ticket_id", "appointment_id"]
    list_filter = ["kind"]
    search_fields = ["dedupe_key"]
    fields = list_display + ["dedupe_key", "message_id"]


@admin.register(OptOut)
class OptOutAdmin(ReadOnly):
    list_display = ["at", "phone_masked", "via"]
    list_filter = ["via"]
    fields = list_display


@admin.register(Consent)
class ConsentAdmin(ReadOnly):
    list_display = [
        "granted_at",
        "person",
        "relation",
        "phone_shown",
        "recorded_by",
        "withdrawn_at",
    ]
    fields = list_display
    readonly_fields = ["person", "phone_shown"]

    @admin.display(description="本人")
    def person(self, obj):
        return mask_name(obj.person_name)

    @admin.display(description="亲属手机号")
    def phone_shown(self, obj):
        return mask_phone(obj.phone)


@admin.register(YearlyReminder)
class YearlyReminderAdmin(ReadOnly):
    list_display = ["remind_on", "due_date", "item", "person", "channel", "phone_shown", "status"]
    list_filter = ["status", "channel", "outlet"]
    fields = list_display + ["outlet", "consent", "created_by", "created_at"]
    readonly_fields = ["person", "phone_shown"]

    @admin.display(description="本人")
    def person(self, obj):
        return mask_name(obj.person_name)

    @admin.display(description="接收手机号")
    def phone_shown(self, obj):
        return mask_phone(obj.phone)


@admin.register(Notice)
class NoticeAdmin(ReadOnly):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    fields = list_display + ["outlet", "department", "link"]
