"""The reader's groups and paired posts are read once per request, and again after a write in
the same request; outside a request nothing is kept."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from liaison.caching import RequestMemoMiddleware, data_changed, per_request
from liaison.exchange.access import audience
from liaison.exchange.models import SharingGroup
from tests.builders import World

pytestmark = pytest.mark.django_db


def _counting() -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    return calls, compute


def test_outside_a_request_every_call_computes() -> None:
    calls, compute = _counting()
    per_request(("k",), compute)  # type: ignore[arg-type]
    per_request(("k",), compute)  # type: ignore[arg-type]
    assert len(calls) == 2


def test_in_a_request_a_value_is_computed_once_and_again_after_a_write() -> None:
    _calls, compute = _counting()
    seen: list[int] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(per_request(("k",), compute))  # type: ignore[arg-type]
        seen.append(per_request(("k",), compute))  # type: ignore[arg-type]
        data_changed()  # a write in the same request
        seen.append(per_request(("k",), compute))  # type: ignore[arg-type]
        return HttpResponse()

    RequestMemoMiddleware(view)(RequestFactory().get("/"))
    assert seen == [1, 1, 2]
    # and the next request starts afresh
    RequestMemoMiddleware(view)(RequestFactory().get("/"))
    assert seen[3:] == [3, 3, 4]


def test_joining_a_group_in_a_request_widens_the_audience_read_after_it(world: World) -> None:
    # given Lan's audience read once in a request
    lan = world.lan
    answers: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        answers.append(str(audience(lan)))
        group = SharingGroup.objects.create(name="Wildlife task force", created_by=lan)
        group.members.add(lan)
        data_changed()  # what every service's audit entry does
        answers.append(str(audience(lan)))
        return HttpResponse()

    RequestMemoMiddleware(view)(RequestFactory().get("/"))
    # then the audience read after the write names the new group
    group_id = SharingGroup.objects.get(name="Wildlife task force").pk
    assert answers[0] != answers[1]
    assert str(group_id) in answers[1].split("group_id__in")[1][:40]
