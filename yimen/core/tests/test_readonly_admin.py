import pytest


@pytest.mark.parametrize(
    "url",
    [
        "/admin/core/auditentry/",
        "/admin/feedback/rating/",
        "/admin/staff/windowsession/",
        "/admin/feedback/grievance/",
        "/admin/staff/apitoken/",
    ],
)
def test_admin_lists(admin_client, demo, url):
    r = admin_client.get(url)
    assert r.status_code == 200
    assert admin_client.get(url + "add/").status_code == 403
