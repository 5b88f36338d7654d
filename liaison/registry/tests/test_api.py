from __future__ import annotations

from django.test import Client


def api_client(username: str) -> Client:
    from liaison.registry.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_api_requires_a_session(world) -> None:
    assert Client().get("/api/registry/blos").status_code == 401


def test_api_lists_only_visible_blos(world) -> None:
    codes = {b["code"] for b in api_client("dara").get("/api/registry/blos").json()}
    assert codes == {"KH-BAVET", "KH-CHREYTHOM", "VN-MOCBAI"}


def test_api_blo_detail_shows_counterparts_and_refuses_outside_scope(world) -> None:
    client = api_client("lan")
    body = client.get("/api/registry/blos/VN-MOCBAI").json()
    assert [c["code"] for c in body["counterparts"]] == ["KH-BAVET"]
    assert body["crossings"] == ["VN-MOCBAI-X1"]
    assert client.get("/api/registry/blos/LA-PANGHOK").status_code == 403
    assert client.get("/api/registry/blos/NOPE").status_code == 404


def test_api_me_and_countries(world) -> None:
    client = api_client("dara")
    assert client.get("/api/registry/me").json()["blo"] == "KH-BAVET"
    assert [c["code"] for c in client.get("/api/registry/countries").json()] == ["KH"]


def test_openapi_schema_is_served(world) -> None:
    schema = api_client("lan").get("/api/openapi.json").json()
    assert "/api/registry/blos" in schema["paths"]
