"""The API answers every bad request with a 4xx and a JSON body, and documents those answers."""

from __future__ import annotations

import pytest
from django.test import Client

from liaison.registry.models import User


def signed_in(username: str, **extra) -> Client:
    client = Client(**extra)
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.parametrize(
    "query",
    ["offset=-1", "offset=99999999999999999999999", "limit=0", "limit=-5", "offset=abc"],
)
def test_bad_paging_is_a_422_in_json(world, query: str) -> None:
    response = signed_in("lan").get(f"/api/exchange/incidents?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and body["errors"][0]["loc"][-1] in {"offset", "limit"}


@pytest.mark.parametrize(
    "query",
    ["date_to=9999-12-31", "date_from=0001-01-01", "date_from=0001-01-01&date_to=0001-01-01"],
)
def test_dates_at_the_ends_of_the_calendar_are_searched_not_a_500(world, query: str) -> None:
    response = signed_in("lan").get(f"/api/exchange/incidents?{query}")
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_large_offset_within_the_bound_is_an_empty_page(world) -> None:
    response = signed_in("lan").get("/api/exchange/incidents?offset=1000000000")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_unknown_path_and_wrong_method_answer_json(world) -> None:
    client = signed_in("lan")
    missing = client.get("/api/exchange/nothing-here")
    assert missing.status_code == 404 and missing.json()["detail"]
    wrong = client.delete("/api/registry/blos")
    assert wrong.status_code == 405 and wrong.json()["detail"]
    assert "GET" in wrong["Allow"]


def test_signed_out_and_csrf_failures_answer_json(world) -> None:
    assert Client().get("/api/registry/me").json()["detail"]
    client = signed_in("lan", enforce_csrf_checks=True)
    refused = client.post("/api/exchange/incidents", {}, content_type="application/json")
    assert refused.status_code in {401, 403}
    assert refused.json()["detail"]


def test_invalid_body_is_a_422_listing_the_fields(world) -> None:
    response = signed_in("lan").post(
        "/api/exchange/incidents",
        {"blo": "VN-MOCBAI", "occurred_at": "not a date"},
        content_type="application/json",
    )
    assert response.status_code == 422
    fields = {e["loc"][-1] for e in response.json()["errors"]}
    assert {"occurred_at", "location_kind"} <= fields


def test_pages_outside_the_api_keep_their_html_errors(world) -> None:
    response = signed_in("lan").get("/exchange/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_schema_lists_the_error_statuses_of_each_operation(world) -> None:
    schema = signed_in("lan").get("/api/openapi.json").json()
    operations = {
        (path, method): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    for (path, method), operation in operations.items():
        assert "401" in operation["responses"], (path, method)
        if "{" in path:
            assert {"403", "404"} <= set(operation["responses"]), (path, method)
        if operation.get("parameters") or operation.get("requestBody"):
            has_query = any(p["in"] == "query" for p in operation.get("parameters", []))
            if has_query or operation.get("requestBody"):
                assert "422" in operation["responses"], (path, method)
