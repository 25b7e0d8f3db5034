"""Citizen pages of 一件事 online: start a bundle, the joint form and the merged material list,
submit all items at once (bundles.py). Each item then has its own page for 预审 and 补正."""

from __future__ import annotations

from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from yimen.catalog import bundles as catalog_bundles
from yimen.core.errors import DomainError, ValidationFailed

from . import bundles, rules, selectors
from .views import _render, _signed_in


@require_http_methods(["GET", "POST"])
def start(request, code):
    who, go = _signed_in(request)
    if go:
        return go
    bundle = catalog_bundles.get_bundle(code)
    error = None
    if request.method == "POST":
        try:
            return redirect("online:group", group=bundles.start_bundle(who, bundle))
        except DomainError as exc:
            error = exc
    return _render(
        request,
        "bundle_start.html",
        {"bundle": bundle, "items": catalog_bundles.bundle_items(bundle)},
        error,
    )


@require_http_methods(["GET", "POST"])
def group(request, group):
    who, go = _signed_in(request)
    if go:
        return go
    data = bundles.merged_rows(who, group)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "save":
                bundles.save_joint_form(who, group, request.POST)
            elif action == "upload":
                f = request.FILES.get("file")
                if f is None:
                    raise ValidationFailed("请选择要上传的文件。", code="no_file")
                bundles.upload_merged(who, group, request.POST.get("material", ""), f)
            elif action == "submit":
                bundles.submit_group(who, group)
            else:
                raise ValidationFailed("未知的操作。", code="bad_action")
            return redirect("online:group", group=group)
        except DomainError as exc:
            error = exc
            data = bundles.merged_rows(who, group)
    first = data["apps"][0]
    return _render(
        request,
        "bundle_group.html",
        {
            **data,
            "group": group,
            "app": first,
            "joint": first.form.get("joint") or {},
            "draft": all(a.status == rules.DRAFT for a in data["apps"]),
            "delivery_choices": rules.DELIVERY_CHOICES,
            "pickup_places": selectors.pickup_places(),
            "limits": selectors.limits(),
        },
        error,
    )
