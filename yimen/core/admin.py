from django.contrib import admin

from .models import AuditEntry, CalendarYear, HolidayDay

admin.site.site_header = "一门 · 政务服务平台管理"
admin.site.site_title = "一门管理"
admin.site.index_title = "管理首页"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin for records that only services may write (audit, sessions, ratings …): view only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HolidayDay)
class HolidayDayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_off_day", "source"]
    list_filter = ["is_off_day", "date"]
    search_fields = ["name", "date"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "published", "source"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "action", "object_type", "object_id", "source_ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "action", "object_id", "reason"]
