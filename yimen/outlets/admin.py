"""Django admin for outlets and windows (Chinese). Hours are validated with the same rules as
outlets.services (format 09:00-16:40, no overlaps)."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .conf import SettingsError, clean as clean_settings, describe as describe_settings
from .models import OpeningException, Outlet, Window
from .rules import validate_spans, validate_weekly


class OutletForm(forms.ModelForm):
    class Meta:
        model = Outlet
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "settings" in self.fields:
            self.fields["settings"].help_text = (
                '如 {"priority_age": 65}。可用设置项（默认）：'
                + "；".join(
                    f"{o['key']} {o['label']}（{'未设' if o['default'] is None else o['default']}）"
                    for o in describe_settings()
                )
            )

    def clean_settings(self):
        try:
            return clean_settings(self.cleaned_data.get("settings"))
        except SettingsError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_weekly_hours(self):
        try:
            return validate_weekly(self.cleaned_data.get("weekly_hours") or {})
        except ValueError as exc:
            raise forms.ValidationError(str(exc))


class OpeningExceptionForm(forms.ModelForm):
    class Meta:
        model = OpeningException
        fields = "__all__"

    def clean_spans(self):
        try:
            return validate_spans(self.cleaned_data.get("spans") or [])
        except ValueError as exc:
            raise forms.ValidationError(str(exc))


class OpeningExceptionInline(admin.TabularInline):
    model = OpeningException
    form = OpeningExceptionForm
    extra = 0
    fields = ["date", "spans", "note"]


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = [
        "code",
        "group_code",
        "number",
        "kind",
        "label",
        "floor",
        "scope",
        "department",
        "active",
        "edit_link",
    ]
    readonly_fields = ["edit_link"]
    show_change_link = True

    @admin.display(description="事项")
    def edit_link(self, obj):
        if not obj.pk:
            return ""
        url = reverse("admin:outlets_window_change", args=[obj.pk])
        return format_html('<a href="{}">{} 项</a>', url, obj.items.count())


@admin.register(Outlet)
class OutletAdmin(admin.ModelAdmin):
    form = OutletForm
    list_display = [
        "code",
        "name",
        "kind",
        "region_code",
        "hours_summary",
        "window_count",
        "active",
    ]
    list_filter = ["kind", "active", "holiday_rule"]
    search_fields = ["code", "name", "address", "street"]
    inlines = [OpeningExceptionInline, WindowInline]
    filter_horizontal = ["items"]
    fieldsets = [
        (
            "基本信息",
            {
                "fields": [
                    "code",
                    "name",
                    "kind",
                    "type_label",
                    "operator",
                    "region_code",
                    "street",
                    "street_code",
                    "address",
                    "active",
                ]
            },
        ),
        (
            "办公时间",
            {
                "fields": ["weekly_hours", "lunch_break", "holiday_rule", "makeup_workday_rule"],
                "description": '格式：{"mon": ["09:00-16:40"], "sat": ["09:00-12:00"], "sun": []}；'
                "法定节假日和调休按工作日历自动处理，临时变动请在下方「办公时间例外」中添加。",
            },
        ),
        ("其他", {"fields": ["floors", "escalation_chain", "settings", "items"]}),
    ]

    @admin.display(description="每周办公时间")
    def hours_summary(self, obj):
        labels = {
            "mon": "一",
            "tue": "二",
            "wed": "三",
            "thu": "四",
            "fri": "五",
            "sat": "六",
            "sun": "日",
        }
        return "；".join(
            f"周{labels[k]} {'、'.join(v)}"
            for k, v in (obj.weekly_hours or {}).items()
            if v and k in labels
        )

    @admin.display(description="窗口数")
    def window_count(self, obj):
        return obj.windows.count()

    def save_model(self, request, obj, form, change):
        from yimen.core import audit

        super().save_model(request, obj, form, change)
        if change and {"weekly_hours", "lunch_break", "holiday_rule", "makeup_workday_rule"} & set(
            form.changed_data
        ):
            audit.record(
                request.user,
                "outlet.hours",
                obj,
                after={"weekly_hours": obj.weekly_hours, "lunch_break": obj.lunch_break},
                reason="管理后台修改",
                request=request,
            )

    def save_formset(self, request, form, formset, change):
        from yimen.core import audit

        super().save_formset(request, form, formset, change)
        if formset.model is OpeningException and formset.has_changed():
            outlet = form.instance
            audit.record(
                request.user,
                "outlet.exception",
                outlet,
                after={
                    "exceptions": [
                        {"date": e.date.isoformat(), "spans": e.spans, "note": e.note}
                        for e in outlet.exceptions.all()
                    ]
                },
                reason="管理后台修改",
                request=request,
            )
            # bookings on days the outlet no longer opens: cancelled, each holder told
            from yimen.outreach.appointments import handle_closures

            handle_closures(outlet)


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["code", "outlet", "number", "kind", "label", "floor", "scope", "active"]
    ordering = ["outlet__code", "group_code", "number"]
    list_filter = ["outlet", "kind", "scope", "floor", "active"]
    search_fields = ["code", "number", "label", "group_code"]
    list_select_related = ["outlet"]
    filter_horizontal = ["items"]
    autocomplete_fields = ["department"]


@admin.register(OpeningException)
class OpeningExceptionAdmin(admin.ModelAdmin):
    form = OpeningExceptionForm
    list_display = ["outlet", "date", "spans_text", "note"]
    list_filter = ["outlet"]
    date_hierarchy = "date"

    @admin.display(description="办公时间")
    def spans_text(self, obj):
        return "、".join(obj.spans) if obj.spans else "当天不开放"
