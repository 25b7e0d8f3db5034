import pytest

from yimen.staff.models import Staff


@pytest.fixture
def login(client):
    def do(username):
        staff = Staff.objects.get(user__username=username)
        client.force_login(staff.user)
        return staff

    return do


def test_pages_render_for_roles(client, demo, login):
    login("cx_zh_201")
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/window/").status_code == 200
    r = client.get("/staff/rota/XN-CX/?week=2026-W49")
    assert r.status_code == 200, r.content.decode()[:2000]
    assert "0 处缺岗" in r.content.decode()
    r = client.get("/staff/rota/XN-CX/export.xlsx?week=2026-W49")
    assert r.status_code == 200 and r.content[:2] == b"PK"
