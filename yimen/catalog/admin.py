"""Django admin for the catalog (Chinese), with Excel export/import."""

from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from yimen.core import clock

from .models import Department, Material, ServiceItem
from .services import (
    CatalogImportRejected,
    export_catalog_excel,
    import_catalog_excel,
    set_items_active,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def xlsx_response(data: bytes, stem: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    filename = f"{stem}-{clock.local_now():%Y%m%d-%H%M}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "item_count"]
    search_fields = ["code", "name", "short_name"]

    @admin.display(description="事项数")
    def item_count(self, obj):
        return obj.items.count()


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ["position", "name", "kind", "copies", "required", "tolerance", "data_sharing", "note"]


class ImmediateFilter(admin.SimpleListFilter):
    title = "即办件"
    parameter_name = "immediate"

    def lookups(self, request, model_admin):
        return [("yes", "是（承诺时限 0）"), ("no", "否")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(promised_limit=0)
        if self.value() == "no":
            return queryset.exclude(promised_limit=0)
        return queryset


class SourceFilter(admin.SimpleListFilter):
    title = "来源"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        values = ServiceItem.objects.order_by().values_list("source", flat=True).distinct()
        return [(v, v) for v in sorted(set(values)) if v]

    def queryset(self, request, queryset):
        return queryset.filter(source=self.value()) if self.value() else queryset


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    change_list_template = "admin/catalog/serviceitem/change_list.html"
    list_display = [
        "code",
        "name",
        "department",
        "item_type",
        "promised_display",
        "comprehensive",
        "bank_outlet",
        "green_channel_eligible",
        "active",
    ]
    list_filter = [
        "department",
        "item_type",
        "comprehensive",
        "bank_outlet",
        "green_channel_eligible",
        ImmediateFilter,
        "bangban_daiban",
        "online",
        "active",
        SourceFilter,
    ]
    search_fields = [
        "code",
        "name",
        "short_name",
        "search_text",
    ]  # search_text holds the keywords too
    list_select_related = ["department"]
    inlines = [MaterialInline]
    actions = ["export_selected", "deactivate_selected", "activate_selected"]
    list_per_page = 50
    fieldsets = [
        (
            "基本信息",
            {
                "fields": [
                    "code",
                    "name",
                    "short_name",
                    "parent_name",
                    "department",
                    "item_type",
                    "active",
                ]
            },
        ),
        (
            "时限与收费",
            {
                "fields": [
                    ("legal_limit", "legal_limit_unit"),
                    ("promised_limit", "promised_limit_unit"),
                    "visits_required",
                    ("fee", "fee_note"),
                    "payment_methods",
                ]
            },
        ),
        (
            "受理",
            {
                "fields": [
                    "window_kinds",
                    "comprehensive",
                    "bank_outlet",
                    "green_channel_eligible",
                    "bangban_daiban",
                    "online",
                    "target_groups",
                    "keywords",
                ]
            },
        ),
        ("其他", {"fields": ["notes", "source", "source_ref"]}),
    ]

    @admin.display(description="承诺时限", ordering="promised_limit")
    def promised_display(self, obj):
        if obj.promised_limit is None:
            return "—"
        if obj.promised_limit == 0:
            return "即办件"
        return f"{obj.promised_limit} {obj.get_promised_limit_unit_display()}"

    @admin.action(description="导出所选事项到 Excel")
    def export_selected(self, request, queryset):
        return xlsx_response(export_catalog_excel(queryset), "事项库")

    @admin.action(description="停用所选事项（不再出现在办事指南）", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        n = set_items_active(queryset, False, actor=request.user, request=request)
        messages.success(request, f"已停用 {n} 个事项。")

    @admin.action(description="启用所选事项", permissions=["change"])
    def activate_selected(self, request, queryset):
        n = set_items_active(queryset, True, actor=request.user, request=request)
        messages.success(request, f"已启用 {n} 个事项。")

    def get_urls(self):
        opts = self.model._meta
        custom = [
            path(
                "excel/export/",
                self.admin_site.admin_view(self.export_all_view),
                name=f"{opts.app_label}_{opts.model_name}_excel_export",
            ),
            path(
                "excel/import/",
                self.admin_site.admin_view(self.import_view),
                name=f"{opts.app_label}_{opts.model_name}_excel_import",
            ),
        ]
        return custom + super().get_urls()

    def export_all_view(self, request):
        if not self.has_view_permission(request):
            return HttpResponse("无权导出事项库。", status=403)
        return xlsx_response(export_catalog_excel(), "事项库")

    def import_view(self, request):
        if not self.has_change_permission(request) or not self.has_add_permission(request):
            return HttpResponse("无权导入事项库。", status=403)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "从 Excel 导入事项库",
            "errors": None,
        }
        if request.method == "POST":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, "请选择要导入的 Excel 文件（.xlsx）。")
            elif upload.size > MAX_UPLOAD_BYTES:
                messages.error(request, "文件过大（上限 20 MB）。")
            else:
                try:
                    counts = import_catalog_excel(
                        upload.read(), actor=request.user, request=request
                    )
                except CatalogImportRejected as exc:
                    context["errors"] = exc.errors
                    context["error_summary"] = str(exc)
                else:
                    messages.success(
                        request,
                        f"导入完成：共 {counts['total']} 项，新建 {counts['created']}，"
                        f"更新 {counts['updated']}，未变 {counts['unchanged']}；"
                        f"新建部门 {counts['departments_created']} 个。",
                    )
                    return redirect(reverse("admin:catalog_serviceitem_changelist"))
        return TemplateResponse(
            request,
            "admin/catalog/serviceitem/import.html",
            context,
            status=400 if context["errors"] else 200,
        )
