"""Outlet pages and the outlets API."""

from yimen.outlets.models import Outlet, Window


def test_outlet_list_page(db, demo, client, clock):
    clock.freeze(clock.at(2022, 3, 15, 10, 0))
    response = client.get("/outlets/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "城西区市民服务中心" in body and "开放中" in body
    assert len(response.context["rows"]) == Outlet.objects.filter(active=True).count()


def test_outlet_page_week_windows_items(db, demo, client, clock):
    clock.freeze(clock.at(2022, 4, 4, 9, 0))  # 清明 Monday
    response = client.get("/outlets/XN-CX/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "已休息" in body and "下次开放 4月6日" in body
    assert "清明节放假" in body
    response = client.get("/outlets/XN-CX/", {"week": "2022-03-30"})
    body = response.content.decode()
    assert "调休上班" in body and "3月28日这一周" in body
    days = {d["date"].isoformat(): d for d in response.context["days"]}
    assert days["2022-04-02"]["hours"] == "09:00-16:40"
    floors = [f["floor"] for f in response.context["floors"]]
    assert floors.index("1F") < floors.index("2F")
    assert "综合窗口" in body
    assert "XN-CG-001" in [i.code for i in response.context["items"]]


def test_outlet_page_errors(db, demo, client):
    assert client.get("/outlets/XN-NOPE/").status_code == 404
    response = client.get("/outlets/XN-CX/", {"week": "next"})
    assert response.status_code == 400 and "日期格式不正确" in response.content.decode()


def test_api_outlets(db, demo, client, clock):
    clock.freeze(clock.at(2022, 4, 4, 9, 0))
    data = client.get("/api/outlets").json()
    assert len(data) == Outlet.objects.filter(active=True).count()
    cx = next(o for o in data if o["id"] == "XN-CX")
    assert cx["open_now"] is False and cx["next_opening"].startswith("2022-04-06T09:00:00+08:00")
    detail = client.get("/api/outlets/XN-CX").json()
    assert detail["weekly_hours"]["sat"] == ["09:00-12:00"]
    monday = detail["this_week"][0]
    assert monday["date"] == "2022-04-04" and monday["off_day"] is True and monday["hours"] == []
    assert "XN-CG-001" in detail["item_codes"]


def test_api_outlet_windows_shape(db, demo, client):
    windows = client.get("/api/outlets/XN-CX/windows").json()
    assert len(windows) == Window.objects.filter(outlet__code="XN-CX", active=True).count()
    assert set(windows[0]) == {"id", "number", "kind", "label", "group", "floor"}
    assert any(w["group"] == "CX-ZH" and w["kind"] == "综合窗口" for w in windows)
    missing = client.get("/api/outlets/XN-NOPE/windows")
    assert missing.status_code == 404
    assert missing.json()["message"] == "找不到网点：XN-NOPE"
    assert client.get("/api/outlets/XN-NOPE").status_code == 404


def test_admin_outlet_pages_validate_hours(db, demo, client, django_user_model):
    user = django_user_model.objects.create_superuser(
        "outlet-admin", "o@example.com", "pw-Outlet-123"
    )
    client.force_login(user)
    cx = Outlet.objects.get(code="XN-CX")
    assert client.get(f"/admin/outlets/outlet/{cx.pk}/change/").status_code == 200
    assert client.get("/admin/outlets/window/?kind__exact=综合窗口").status_code == 200
    assert client.get(f"/admin/outlets/window/?outlet__id__exact={cx.pk}").status_code == 200
    from yimen.outlets.admin import OpeningExceptionForm, OutletForm

    form = OpeningExceptionForm(
        data={"outlet": cx.pk, "date": "2022-05-05", "spans": '["12:00-09:00"]', "note": ""}
    )
    assert not form.is_valid() and "结束时间应晚于开始时间" in str(form.errors)
    form = OutletForm(instance=cx)
    assert form.fields["weekly_hours"] is not None


def test_admin_exception_inline_is_validated_and_audited(db, demo, client, django_user_model):
    from yimen.core.models import AuditEntry

    user = django_user_model.objects.create_superuser(
        "outlet-admin2", "o2@example.com", "pw-Outlet-123"
    )
    client.force_login(user)
    cx = Outlet.objects.get(code="XN-CX")
    page = client.get(f"/admin/outlets/outlet/{cx.pk}/change/")
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "items":
            data[name] = [i.pk for i in value] if value else []
        elif hasattr(field, "prepare_value") and name in (
            "weekly_hours",
            "floors",
            "escalation_chain",
            "settings",
        ):
            data[name] = field.prepare_value(value)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    for formset in page.context["inline_admin_formsets"]:
        fs = formset.formset
        prefix = fs.prefix
        data[f"{prefix}-TOTAL_FORMS"] = str(len(fs.forms))
        data[f"{prefix}-INITIAL_FORMS"] = str(fs.initial_form_count())
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for i, f in enumerate(fs.forms):
            for name, field in f.fields.items():
                value = f.initial.get(name, field.initial)
                if name == "spans":
                    value = field.prepare_value(value)
                if isinstance(value, bool):
                    if value:
                        data[f"{prefix}-{i}-{name}"] = "on"
                elif value is not None:
                    data[f"{prefix}-{i}-{name}"] = getattr(value, "pk", value)
    exc_prefix = next(
        fs.formset.prefix
        for fs in page.context["inline_admin_formsets"]
        if fs.formset.model.__name__ == "OpeningException"
    )
    n = int(data[f"{exc_prefix}-TOTAL_FORMS"])
    data[f"{exc_prefix}-TOTAL_FORMS"] = str(n + 1)
    data[f"{exc_prefix}-{n}-date"] = "2022-05-05"
    data[f"{exc_prefix}-{n}-spans"] = '["16:00-09:00"]'
    data[f"{exc_prefix}-{n}-note"] = "错误的时间"
    response = client.post(f"/admin/outlets/outlet/{cx.pk}/change/", data)
    assert response.status_code == 200 and "结束时间应晚于开始时间" in response.content.decode()
    data[f"{exc_prefix}-{n}-spans"] = '["09:00-12:00"]'
    data[f"{exc_prefix}-{n}-note"] = "五四青年节半天"
    response = client.post(f"/admin/outlets/outlet/{cx.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert cx.exceptions.get(date="2022-05-05").spans == ["09:00-12:00"]
    assert AuditEntry.objects.filter(action="outlet.exception", object_id=str(cx.pk)).exists()
