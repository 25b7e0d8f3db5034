"""一件事 online: one joint form and one merged material list for the items of a bundle.

Each item of the bundle is an application (and, once submitted, a case in 网上预审) of its own,
pre-checked by its own department; they share a `group`. The joint form is saved to every one of
them; a file uploaded for a line of the merged list is stored for every item whose checklist has
a material that line covers (BundleMaterial.sources). Submitting submits them all in one
transaction: all go to 网上预审 or none does.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from yimen.catalog import bundles as catalog_bundles
from yimen.core.errors import NotFound, ValidationFailed

from . import rules, services
from .identity import Identity
from .models import Application


def _group(identity: Identity, group: str) -> list[Application]:
    apps = list(
        Application.objects.filter(group=group, owner=identity.owner)
        .select_related("item", "case")
        .order_by("id")
    )
    if not group or not apps:
        raise NotFound("找不到该一件事申报。", code="not_found")
    return apps


@transaction.atomic
def start_bundle(identity: Identity, bundle) -> str:
    """One draft per item of the bundle, in one group; returns the group."""
    group = "YJS" + secrets.token_hex(6).upper()
    for item in catalog_bundles.bundle_items(bundle):
        app = services.start(identity, item)
        Application.objects.filter(pk=app.pk).update(group=group, bundle_code=bundle.code)
    return group


def merged_rows(identity: Identity, group: str) -> dict:
    """The group's bundle, its applications and the merged list with what is uploaded."""
    apps = _group(identity, group)
    bundle = catalog_bundles.get_bundle(apps[0].bundle_code)
    rows = []
    for m in bundle.materials.all():
        sources = {s.pk for s in m.sources.all()}
        targets = [
            (app, i)
            for app in apps
            for i, e in enumerate(app.checklist)
            if e.get("material_id") in sources
        ]
        live = [app.uploads.filter(line=i, superseded=False).first() for app, i in targets]
        rows.append(
            {
                "id": m.pk,
                "name": m.name,
                "required": m.required,
                "note": m.note,
                "items": sorted({app.item.display_name for app, _i in targets}),
                "targets": len(targets),
                "done": bool(targets) and all(live),
                "upload": next((u for u in live if u), None),
            }
        )
    return {"bundle": bundle, "apps": apps, "rows": rows}


@transaction.atomic
def save_joint_form(identity: Identity, group: str, data: dict) -> None:
    """The joint form (一表申请): applicant, delivery and the bundle's own fields, to every item."""
    apps = _group(identity, group)
    bundle = catalog_bundles.get_bundle(apps[0].bundle_code)
    extra = {}
    for f in bundle.form_fields:
        extra[f["key"]] = (data.get(f"b_{f['key']}") or "").strip()[:300]
    for app in apps:
        app = services.save_form(identity, app, data)
        app.form = {**app.form, "joint": extra}
        app.save(update_fields=["form"])


@transaction.atomic
def upload_merged(identity: Identity, group: str, material_id, fileobj) -> int:
    """Store the file for every item whose checklist has a material this merged line covers."""
    apps = _group(identity, group)
    bundle = catalog_bundles.get_bundle(apps[0].bundle_code)
    line = next((m for m in bundle.materials.all() if str(m.pk) == str(material_id)), None)
    if line is None:
        raise ValidationFailed("没有这项材料。", code="bad_line")
    sources = {s.pk for s in line.sources.all()}
    stored = 0
    for app in apps:
        for i, e in enumerate(app.checklist):
            if e.get("material_id") in sources:
                fileobj.seek(0)
                services.upload(identity, app, i, fileobj)
                stored += 1
    if not stored:
        raise ValidationFailed("这项材料不需要上传。", code="nothing_to_store")
    return stored


@transaction.atomic
def submit_group(identity: Identity, group: str) -> list[Application]:
    """Submit every item of the bundle, or none (the first refusal names the item)."""
    apps = _group(identity, group)
    bundle = catalog_bundles.get_bundle(apps[0].bundle_code)
    missing = [
        f["label"]
        for f in bundle.form_fields
        if f.get("required") and not (apps[0].form.get("joint") or {}).get(f["key"])
    ]
    if missing:
        raise ValidationFailed("请填写联合申请表：" + "、".join(missing), code="joint_form")
    done = []
    for app in apps:
        if app.status != rules.DRAFT:
            continue
        try:
            done.append(services.submit(identity, app))
        except ValidationFailed as exc:
            raise ValidationFailed(f"「{app.item.display_name}」：{exc.message}", code=exc.code)
    return done
