"""`yimen holidays import <file-or-dir>` (holiday-cn JSON)."""

import json
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from yimen.core.models import CalendarYear, HolidayDay
from yimen.core.selectors import invalidate_calendar_cache, work_calendar


@pytest.fixture(autouse=True)
def fresh_calendar(db):  # invalidating bumps the change bus, a table
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


def test_import_a_published_2027_file_makes_it_verified(db, tmp_path):
    doc = {
        "year": 2027,
        "papers": [],
        "days": [
            {"name": "元旦", "date": "2027-01-01", "isOffDay": True},
            {"name": "春节", "date": "2027-02-06", "isOffDay": False},
            {"name": "春节", "date": "2027-02-08", "isOffDay": True},
        ],
    }
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("holidays", "import", str(path), stdout=out)
    assert "2027 年：3 天（新增 3" in out.getvalue()
    assert CalendarYear.objects.get(year=2027).published
    cal = work_calendar()
    assert cal.is_verified(date(2027, 3, 1))
    assert not cal.is_workday(date(2027, 1, 1)) and cal.is_makeup_workday(date(2027, 2, 6))
    out = StringIO()
    call_command("holidays", "import", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())[0]["created"] == 0  # idempotent
    # a corrected file replaces the year (removed days disappear)
    doc["days"] = doc["days"][:1]
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    call_command("holidays", "import", str(path), stdout=StringIO())
    assert HolidayDay.objects.filter(date__year=2027).count() == 1
    assert not work_calendar().is_makeup_workday(date(2027, 2, 6))


def test_import_the_shipped_directory(db):
    out = StringIO()
    call_command("holidays", "import", str(settings.DATA_DIR / "holidays"), stdout=out)
    text = out.getvalue()
    for year in range(2020, 2028):
        assert f"{year} 年" in text
    assert "未发布官方安排" in text  # 2027


def test_bad_input_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="找不到文件或目录"):
        call_command("holidays", "import", str(tmp_path / "nope.json"))
    with pytest.raises(CommandError, match="没有 .json 文件"):
        call_command("holidays", "import", str(tmp_path))
    bad = tmp_path / "bad.json"
    bad.write_text('{"days": []}', encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 holiday-cn 文件"):
        call_command("holidays", "import", str(bad))
    bad.write_text('{"year": 2030, "days": [{"date": "2030-01-01"}]}', encoding="utf-8")
    with pytest.raises(CommandError, match="缺少 date 或 isOffDay"):
        call_command("holidays", "import", str(bad))
    assert not CalendarYear.objects.filter(year=2030).exists()
