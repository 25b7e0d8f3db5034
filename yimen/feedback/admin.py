"""Read-only admin views of ratings, rectifications and grievances. Every change goes through the
services (state machines, permissions, audit), so the admin may look but not edit."""

from django.contrib import admin

from yimen.core.admin import ReadOnlyAdmin
from yimen.core.masking import mask_name, mask_phone

from .models import ConductFinding, Grievance, Rating, Rectification


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "outlet", "window", "score", "round", "channel", "item"]
    list_filter = ["score", "channel", "outlet"]
    date_hierarchy = "created_at"


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "outlet",
        "window",
        "department",
        "state",
        "callback_due",
        "rectify_due",
        "closed_at",
    ]
    list_filter = ["state", "outlet"]


@admin.register(Grievance)
class GrievanceAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "category",
        "status",
        "level",
        "level_due",
        "masked_name",
        "masked_phone",
        "received_at",
    ]
    list_filter = ["category", "status", "outlet"]
    search_fields = ["number"]
    exclude = ["applicant_name", "id_number", "phone", "id_number_hash", "public_token"]

    @admin.display(description="反映人")
    def masked_name(self, obj):
        return mask_name(obj.applicant_name)

    @admin.display(description="联系电话")
    def masked_phone(self, obj):
        return mask_phone(obj.phone)


@admin.register(ConductFinding)
class ConductFindingAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "staff", "kind", "grievance", "recorded_by"]
    list_filter = ["kind"]
