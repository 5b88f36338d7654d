"""Two people open the same object's edit page and both save: the first save is kept, the second
is refused with the conflict page (the saved values shown, the second person's text kept in the
form), for every editable object outside the exchange."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.db import models
from django.test import Client
from django.utils import timezone

from liaison.audit.models import AuditEntry
from liaison.meetings.models import (
    ActionStatus,
    Formality,
    Meeting,
    MeetingAction,
    MeetingLevel,
)
from liaison.meetings.services import ActionInput, ParticipantInput, do_record_meeting
from liaison.registry.models import BLO, Crossing, CrossingKind, User
from liaison.registry.services import StaleEdit, do_save_blo, do_save_crossing
from liaison.surveys.models import SurveyRound
from tests.builders import World

pytestmark = pytest.mark.django_db


class _FormReader(HTMLParser):
    """What a browser would send back from the page's first form that carries a version."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, list[str]]] = []
        self._form: dict[str, list[str]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self._form.setdefault(name, []).append(a.get("value", "on"))
            elif kind not in {"submit", "button", "file"}:
                self._form.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select" and "disabled" not in a:
            self._select = name
            self._form.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self._form[self._select].append(a.get("value", ""))
        elif tag == "textarea" and "disabled" not in a:
            self._textarea = name
            self._form[name] = [""]

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form[self._textarea][0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._form = None


def opened(client: Client, url: str) -> dict[str, list[str]]:
    """Open the edit page as its user does and take its form's values."""
    page = client.get(url)
    assert page.status_code == 200, url
    reader = _FormReader()
    reader.feed(page.content.decode())
    return next(f for f in reader.forms if "version" in f)


def signed_in(user: User) -> Client:
    # The pages are read in English here (the personas would read their country's language).
    User.objects.filter(pk=user.pk).update(preferred_language="en")
    client = Client()
    client.force_login(user)
    return client


@dataclass(frozen=True)
class Case:
    """An editable object: how to make it, its edit page, a text field, who edits it."""

    make: Callable[[World], models.Model]
    url: Callable[[models.Model], str]
    field: str
    editors: Callable[[World], tuple[User, User]]
    reload: Callable[[models.Model], str]


def _meeting(world: World) -> Meeting:
    meeting = Meeting(
        blo=world.moc_bai, counterpart_blo=world.bavet, level=MeetingLevel.CROSS_BORDER,
        formality=Formality.OFFICIAL, held_on=timezone.localdate() - datetime.timedelta(days=5),
        agenda="Wildlife cases",
    )  # fmt: skip
    return do_record_meeting(
        meeting,
        participants=[ParticipantInput(country=world.vn, agency=world.vn_police)],
        actions=[ActionInput("Exchange contact lists", owner=world.lan)],
        actor=world.tuan,
    )


def _crossing(world: World) -> Crossing:
    return do_save_crossing(
        Crossing(blo=world.moc_bai, code="VN-MOCBAI-GATE9", name_en="Moc Bai gate",
                 kind=CrossingKind.INTERNATIONAL),
        actor=world.huong,
    )  # fmt: skip


def _round(world: World) -> SurveyRound:
    from liaison.surveys.tests.rounds import patrol_round

    return patrol_round(world)


def _session(world: World) -> models.Model:
    from liaison.training.content import read_folder
    from liaison.training.demo import CONTENT_DIR
    from liaison.training.models import TrainingModule, TrainingSession
    from liaison.training.services import (
        do_import_content,
        do_save_training_session,
        reference_exists,
    )

    do_import_content(read_folder(CONTENT_DIR, reference_exists=reference_exists), actor=None)
    module = TrainingModule.objects.order_by("code").first()
    assert module is not None
    session = TrainingSession(
        module=module, kind="classroom", title="CITES classroom", location="Moc Bai",
        starts_on=datetime.date(2026, 3, 2), ends_on=datetime.date(2026, 3, 3),
        host_blo=world.moc_bai,
    )  # fmt: skip
    return do_save_training_session(session, blos=[], actor=world.tuan)


def _text(model: type[models.Model], field: str) -> Callable[[models.Model], str]:
    def reload(obj: models.Model) -> str:
        return str(getattr(model._default_manager.get(pk=obj.pk), field))

    return reload


CASES = {
    "meeting": Case(
        make=_meeting,
        url=lambda o: f"/meetings/{o.pk}/edit/",
        field="agenda",
        editors=lambda w: (w.tuan, w.huong),
        reload=_text(Meeting, "agenda"),
    ),
    "blo": Case(
        make=lambda w: w.moc_bai,
        url=lambda o: f"/registry/blos/{o.code}/edit/",  # type: ignore[attr-defined]
        field="notes",
        editors=lambda w: (w.tuan, w.huong),
        reload=_text(BLO, "notes"),
    ),
    "crossing": Case(
        make=_crossing,
        url=lambda o: f"/registry/crossings/{o.code}/edit/",  # type: ignore[attr-defined]
        field="name_local",
        editors=lambda w: (w.huong, w.root),
        reload=_text(Crossing, "name_local"),
    ),
    "account": Case(
        make=lambda w: w.lan,
        url=lambda o: f"/registry/users/{o.pk}/edit/",
        field="position",
        editors=lambda w: (w.huong, w.root),
        reload=_text(User, "position"),
    ),
    "own profile": Case(
        make=lambda w: w.lan,
        url=lambda o: "/account/",
        field="position",
        editors=lambda w: (w.lan, w.lan),  # on the phone and on the office computer
        reload=_text(User, "position"),
    ),
    "survey round": Case(
        make=_round,
        url=lambda o: f"/surveys/rounds/{o.pk}/edit/",
        field="title",
        editors=lambda w: (w.ainsley, w.root),
        reload=_text(SurveyRound, "title"),
    ),
    "training session": Case(
        make=_session,
        url=lambda o: f"/training/sessions/{o.pk}/edit/",
        field="title",
        editors=lambda w: (w.tuan, w.huong),
        reload=lambda o: str(type(o)._default_manager.get(pk=o.pk).title),  # type: ignore[attr-defined]
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_second_save_over_an_opened_version_gets_the_conflict_page(world: World, kind: str) -> None:
    # given: two people open the same object's edit page
    case = CASES[kind]
    obj = case.make(world)
    first, second = (signed_in(user) for user in case.editors(world))
    url = case.url(obj)
    first_form, second_form = opened(first, url), opened(second, url)
    assert first_form["version"] == second_form["version"]
    changes_before = AuditEntry.objects.count()

    # when: both save, the first one first
    first_form[case.field] = ["First person's text"]
    second_form[case.field] = ["Second person's text"]
    saved = first.post(url, first_form)
    refused = second.post(url, second_form)

    # then: the first save is kept; the second is refused with the conflict page
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert refused.status_code == 200
    page = refused.content.decode()
    assert 'id="conflict"' in page
    assert "Someone saved this after you opened it" in page
    assert "First person&#x27;s text" in page  # the saved value, shown
    assert "Second person&#x27;s text" in page  # the user's own text, kept in the form
    assert case.reload(obj) == "First person's text"
    assert AuditEntry.objects.count() == changes_before + 1  # one change recorded, not two
    # saving again from the conflict page applies the second person's text knowingly
    again = opened_from(page)
    assert again["version"] == [str(int(first_form["version"][0]) + 1)]
    assert second.post(url, again).status_code == 302
    assert case.reload(obj) == "Second person's text"


def opened_from(page: str) -> dict[str, list[str]]:
    reader = _FormReader()
    reader.feed(page)
    return next(f for f in reader.forms if "version" in f)


@pytest.mark.parametrize("kind", ["meeting", "blo", "account"])
def test_an_edit_without_the_opened_version_is_refused_with_a_message(
    world: World, kind: str
) -> None:
    case = CASES[kind]
    obj = case.make(world)
    editor = signed_in(case.editors(world)[0])
    form = opened(editor, case.url(obj))
    del form["version"]
    form[case.field] = ["Text without a version"]
    page = editor.post(case.url(obj), form)
    assert page.status_code == 200
    assert "The form lacks the version you opened" in page.content.decode()
    assert case.reload(obj) != "Text without a version"


def test_a_meeting_action_status_changed_meanwhile_is_not_overwritten(world: World) -> None:
    # given: two people have the meeting page open with its open action
    meeting = _meeting(world)
    action = meeting.actions.get()
    tuan, huong = signed_in(world.tuan), signed_in(world.huong)
    opened_version = str(action.version)
    url = f"/meetings/actions/{action.pk}/"

    # when: one marks it done, the other (from the page opened before) drops it
    done = tuan.post(url, {"status": ActionStatus.DONE, "version": opened_version})
    dropped = huong.post(
        url, {"status": ActionStatus.DROPPED, "version": opened_version}, follow=True
    )

    # then: the first change stands and the second person is told what is saved
    assert done.status_code == 302
    assert MeetingAction.objects.get(pk=action.pk).status == ActionStatus.DONE
    page = dropped.content.decode()
    assert "Someone changed this action&#x27;s status after you opened the page" in page
    assert str(ActionStatus.DONE.label) in page


def test_services_refuse_a_stale_version_and_write_nothing(world: World) -> None:
    crossing = _crossing(world)
    opened_version = crossing.version
    crossing.name_local = "Cửa khẩu Mộc Bài"
    do_save_crossing(crossing, expected_version=opened_version, actor=world.huong)
    stale = Crossing.objects.get(pk=crossing.pk)
    stale.name_local = "Overwritten"
    with pytest.raises(StaleEdit) as refused:
        do_save_crossing(stale, expected_version=opened_version, actor=world.root)
    assert refused.value.version == opened_version + 1
    assert Crossing.objects.get(pk=crossing.pk).name_local == "Cửa khẩu Mộc Bài"
    # an import (no version opened) still saves, and moves the version on
    blo = BLO.objects.get(pk=world.moc_bai.pk)
    before = blo.version
    blo.notes = "Imported"
    do_save_blo(blo, actor=world.huong)
    assert BLO.objects.get(pk=blo.pk).version == before + 1
