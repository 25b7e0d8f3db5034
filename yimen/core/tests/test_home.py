def test_home_page_leads_to_each_part(client, demo):
    response = client.get("/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "只进一扇门" in text
    for link in [
        "/portal/",
        "/catalog/",
        "/guide/",
        "/queue/",
        "/cases/",
        "/feedback/",
        "/staff/",
        "/insight/",
    ]:
        assert f'href="{link}"' in text
    assert "城西区市民服务中心" in text


def test_healthz(client, db):
    assert client.get("/healthz").json()["status"] == "ok"


def test_openapi_schema_is_served(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "一门 API"
