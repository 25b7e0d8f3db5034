"""Typed outlet settings (outlets/conf.py): defaults, validation with Chinese messages, the admin
form refusing a bad value on save, and lenient reads of values stored before a rule existed."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict

from yimen.outlets.admin import OutletForm
from yimen.outlets.conf import SPECS, OutletSettings, SettingsError, clean, describe
from yimen.outlets.models import Outlet


def test_defaults_are_valid_values_of_their_own_settings():
    defaults = OutletSettings()
    for key in SPECS:
        value = getattr(defaults, key)
        if value is not None:
            assert clean({key: value}) == {key: value}
    assert defaults.priority_age == 65 and defaults.max_recalls == 3
    assert {d["key"] for d in describe()} == set(SPECS)
    assert all(d["label"] for d in describe())


def test_values_are_typed_and_numbers_in_text_accepted():
    s = OutletSettings.parse(
        {"priority_age": "70", "default_service_minutes": 8, "lunch_minutes": 45.0}
    )
    assert (s.priority_age, s.default_service_minutes, s.lunch_minutes) == (70, 8.0, 45)
    assert isinstance(s.default_service_minutes, float) and isinstance(s.lunch_minutes, int)
    assert OutletSettings.parse({"max_recalls": None}).max_recalls == 3  # null: not set


@pytest.mark.parametrize(
    "raw, words",
    [
        ({"priority_age": 30}, ["priority_age", "50–120"]),
        ({"max_recalls": 2.5}, ["max_recalls", "整数"]),
        ({"max_recalls": True}, ["max_recalls", "数字"]),
        ({"default_service_minutes": "nan"}, ["default_service_minutes", "数字"]),
        ({"remote_check_in_minute": 60}, ["没有设置项 remote_check_in_minute"]),
        ({"duty_group_odd_weeks": "C"}, ["duty_group_odd_weeks", "A 或 B"]),
        ({"noon_relay_start": "25:00"}, ["noon_relay_start", "时刻"]),
        ({"dispatch": {"priority_mode": "fast"}}, ["dispatch", "strict 或 ratio"]),
        ({"dispatch": {"ordinary_per_priority": -1}}, ["dispatch", "0–20"]),
        ({"escalation_workdays": {"1": 0}}, ["escalation_workdays", "第 1 级"]),
        (["priority_age"], ["映射"]),
    ],
)
def test_bad_values_are_refused_in_chinese_naming_the_setting(raw, words):
    with pytest.raises(SettingsError) as e:
        clean(raw)
    for word in words:
        assert word in str(e.value)


@pytest.mark.django_db
def test_the_admin_form_refuses_a_bad_value_on_save(demo):
    outlet = Outlet.objects.get(code="XN-CX")
    data = model_to_dict(outlet)
    for key in ("floors", "weekly_hours", "escalation_chain"):
        data[key] = json.dumps(data[key], ensure_ascii=False)
    data["items"] = [i.pk for i in data["items"]]
    data["settings"] = json.dumps({"priority_age": 65, "max_recalls": 99})
    form = OutletForm(data, instance=outlet)
    assert not form.is_valid()
    assert "同一号码最多重呼次数（max_recalls）：应在 0–10 之间" in form.errors["settings"][0]
    assert Outlet.objects.get(code="XN-CX").options.max_recalls == 3  # nothing saved
    data["settings"] = json.dumps({"priority_age": "70", "max_recalls": 5})
    form = OutletForm(data, instance=outlet)
    assert form.is_valid(), form.errors
    form.save()
    saved = Outlet.objects.get(code="XN-CX")
    assert saved.settings == {"priority_age": 70, "max_recalls": 5}  # stored typed
    assert (saved.options.priority_age, saved.options.max_recalls) == (70, 5)


@pytest.mark.django_db
def test_model_validation_refuses_too(demo):
    outlet = Outlet.objects.get(code="XN-CX")
    outlet.settings = {"appointment_slot_minutes": 0}
    with pytest.raises(ValidationError) as e:
        outlet.full_clean()
    assert "appointment_slot_minutes" in e.value.message_dict["settings"][0]


def test_a_stored_value_no_longer_valid_reads_as_its_default(caplog):
    outlet = Outlet(code="T-1", settings={"max_recalls": "many", "priority_age": 70, "gone": 1})
    with caplog.at_level("WARNING", logger="yimen.outlets.conf"):
        options = outlet.options
    assert (options.max_recalls, options.priority_age) == (3, 70)
    assert "max_recalls" in caplog.text and "gone" in caplog.text
    assert outlet.setting("max_recalls") == 3 and outlet.setting("gone", "x") == 1
