"""一件事 online: one joint form, one merged list, every item submitted to its own department's
网上预审 at once (all or none)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from yimen.online.models import Application

from .conftest import PDF, PERSON_ID, PHONE, sign_in

BUNDLE = "YJS-KBCY"  # 开办餐饮店一件事


def test_bundle_joint_form_merged_uploads_and_submit_all(online_env, client):
    sign_in(client)
    assert "网上申报一件事" in client.get(f"/portal/bundle/{BUNDLE}/").content.decode()
    r = client.post(f"/online/bundle/{BUNDLE}/", {})
    assert r.status_code == 302
    url = r["Location"]
    group = url.rstrip("/").rsplit("/", 1)[-1]
    apps = list(Application.objects.filter(group=group))
    assert len(apps) == 3 and len({a.item.department_id for a in apps}) == 2
    form = {
        "action": "save",
        "applicant_kind": "person",
        "applicant_name": "李四",
        "applicant_id_number": PERSON_ID,
        "applicant_phone": PHONE,
        "delivery_method": "electronic",
        "b_shop_name": "李四小吃",
    }
    assert client.post(url, form).status_code == 302
    r = client.get(url)
    rows = r.context["rows"]
    # one upload per merged line lands on every item that needs it
    shared = next(row for row in rows if row["name"].startswith("经营者居民身份证"))
    assert shared["targets"] == 2
    for row in rows:
        if row["targets"]:
            f = SimpleUploadedFile("m.pdf", PDF)
            assert (
                client.post(url, {"action": "upload", "material": row["id"], "file": f}).status_code
                == 302
            )
    # the joint form's required fields first: nothing is submitted
    r = client.post(url, {"action": "submit"})
    assert r.status_code == 400 and "联合申请表" in r.content.decode()
    assert not Application.objects.filter(group=group).exclude(status="draft").exists()
    form.update(b_shop_address="西宁市城西区胜利路 8 号", b_business_scope="热食类食品制售")
    client.post(url, form)
    assert client.post(url, {"action": "submit"}).status_code == 302
    apps = list(Application.objects.filter(group=group).select_related("case"))
    assert all(a.status == "precheck" and a.case.channel == "online" for a in apps)
    assert len({a.case.receipt_number for a in apps}) == 3
    assert all(a.form["joint"]["shop_name"] == "李四小吃" for a in apps)
    # another person cannot open the group
    from django.test import Client

    from .conftest import OTHER_ID, OTHER_PHONE

    other = sign_in(Client(), OTHER_ID, OTHER_PHONE)
    assert other.get(url).status_code == 404
