"""Attachments: what an upload must be, what is kept of a photo, and who reads it.

Personas (tests/builders.py): Lan records at Moc Bai (customs); Minh is Moc Bai's police officer;
Dara is at Bavet, Moc Bai's counterpart across the border; Sophea at Chrey Thom (Cambodia, not
paired); Hung at Dien Bien (Viet Nam, another post); Ainsley is programme staff.
"""

from __future__ import annotations

import datetime
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from PIL import Image, ImageFile

from liaison.audit.models import AuditEntry
from liaison.exchange.attachments import clean_file_name, do_add_attachment, do_remove_attachment
from liaison.exchange.models import (
    Attachment,
    Incident,
    InformationRequest,
    IntelligenceReport,
    NominalEntry,
    SharingGroup,
)
from liaison.exchange.services import do_ask_for_information, do_record_intelligence
from liaison.pwa.offline import is_record_path
from tests import attachment_files as files
from tests.builders import make_incident

PERSON = {"kind": "person", "role": "suspect", "name": "Trần Văn Khải"}


def attach(record: Any, data: bytes, name: str = "seized.jpg", **options: Any) -> Attachment:
    actor = options.pop("actor")
    return do_add_attachment(
        record, io.BytesIO(data), name=name, size=len(data), actor=actor, **options
    )


def stored_files(settings: Any) -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def client_of(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def counterpart_incident(exchange_world: Any) -> Any:
    """Lan's seizure shared with Bavet across the border, with a suspect whose identity stays
    with Lan's agency (the nominal entry's default)."""
    return make_incident(
        exchange_world.lan,
        distribution="counterpart",
        tlp="AMBER",
        nominal=[{**PERSON, "distribution": "agency"}],
    )


# --- what is kept of a photo --------------------------------------------------------------------


def test_location_and_camera_are_removed_and_the_orientation_applied(
    exchange_world, counterpart_incident, settings
) -> None:
    # given a phone photo 800×600 with a GPS position, taken turned (orientation 6)
    original = files.photo_with_location()
    assert files.gps_of(original)

    # when Lan attaches it
    attachment = attach(counterpart_incident, original, actor=exchange_world.lan)

    # then the stored photo has no EXIF at all, and is upright (600×800)
    stored = Path(attachment.file.path).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert dict(image.getexif()) == {}
        assert image.size == (600, 800)
    assert b"FieldPhone" not in stored
    assert (attachment.width, attachment.height) == (600, 800)
    assert attachment.content_type == "image/jpeg"
    assert not attachment.location_kept
    entry = AuditEntry.objects.get(object_type="exchange.Attachment", object_id=str(attachment.pk))
    assert entry.changes["had_location"] is True
    assert entry.changes["location_kept"] is False


def test_location_is_kept_when_the_uploader_asks_and_the_audit_says_so(
    exchange_world, counterpart_incident
) -> None:
    original = files.photo_with_location()

    attachment = attach(
        counterpart_incident, original, keep_location=True, actor=exchange_world.lan
    )

    stored = Path(attachment.file.path).read_bytes()
    assert stored == original
    gps = files.gps_of(stored)
    assert gps[2] == files.LATITUDE
    assert attachment.location_kept
    entry = AuditEntry.objects.get(object_type="exchange.Attachment", object_id=str(attachment.pk))
    assert entry.changes["location_kept"] is True
    # the thumbnail never carries it
    with Image.open(attachment.thumbnail.path) as thumbnail:
        assert dict(thumbnail.getexif()) == {}


def test_thumbnail_is_made_within_320_pixels(exchange_world, counterpart_incident) -> None:
    attachment = attach(
        counterpart_incident, files.photo("PNG", (1600, 900), mode="RGBA"), "truck.png",
        actor=exchange_world.lan,
    )  # fmt: skip

    with Image.open(attachment.thumbnail.path) as thumbnail:
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (320, 180)
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "truck.png"


def test_a_pdf_is_kept_as_sent_without_thumbnail(exchange_world, counterpart_incident) -> None:
    attachment = attach(counterpart_incident, files.pdf(), "manifest.pdf", actor=exchange_world.lan)

    assert Path(attachment.file.path).read_bytes() == files.pdf()
    assert attachment.content_type == "application/pdf"
    assert not attachment.thumbnail
    assert len(attachment.sha256) == 64


def test_file_names_are_cleaned_and_end_with_the_sniffed_type() -> None:
    assert clean_file_name("C:\\Users\\lan\\ảnh\x00 hàng.JPG", "image/jpeg") == "ảnh hàng.jpg"
    assert clean_file_name("../../etc/passwd", "application/pdf") == "passwd.pdf"
    assert clean_file_name('report";.php', "image/png") == "report.php.png"
    assert clean_file_name("", "image/webp") == "attachment.webp"


# --- what is refused ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.jpg", b"", "is empty"),
        ("notes.jpg", b"just some text, not a photo", "only JPEG, PNG, WebP, PDF"),
        ("anim.gif", files.photo("GIF"), "only JPEG, PNG, WebP, PDF"),
        ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "only JPEG"),
        ("cut.jpg", files.damaged_jpeg(), "is damaged"),
        ("bomb.png", files.decompression_bomb(), "too many pixels"),
        ("half.pdf", files.pdf()[:40], "not a whole PDF"),
    ],
)
def test_bad_uploads_are_refused_naming_the_file_and_nothing_is_kept(
    exchange_world, counterpart_incident, settings, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        attach(counterpart_incident, data, name, actor=exchange_world.lan)

    assert message in refused.value.messages[0]
    assert f"“{name}”" in refused.value.messages[0]
    assert not Attachment.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_cut_off_photo_is_refused_even_where_pillow_tolerates_them(
    exchange_world, counterpart_incident, settings, monkeypatch, fmt: str
) -> None:
    # given WeasyPrint's setting, made when it is imported for the PDFs
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    noise = io.BytesIO()
    Image.effect_noise((400, 300), 50).convert("RGB").save(noise, fmt)
    cut = noise.getvalue()[: len(noise.getvalue()) // 2]

    with pytest.raises(ValidationError, match="damaged"):
        attach(counterpart_incident, cut, "cut.img", actor=exchange_world.lan)

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # and left as it was
    assert stored_files(settings) == []


def test_an_oversized_file_is_refused_before_it_is_read(
    exchange_world, counterpart_incident, settings
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1000
    data = files.photo_with_location()
    assert len(data) > 1000

    with pytest.raises(ValidationError, match=r"“big.png” is .* MB: attachments may be at most"):
        attach(counterpart_incident, data, "big.png", actor=exchange_world.lan)
    # the size the browser gave is not trusted: the bytes are counted too
    with pytest.raises(ValidationError, match=r"big.png"):
        do_add_attachment(
            counterpart_incident, io.BytesIO(data), name="big.png", size=10,
            actor=exchange_world.lan,
        )  # fmt: skip
    assert stored_files(settings) == []


def test_more_pixels_than_the_setting_allows_is_refused(
    exchange_world, counterpart_incident, settings
) -> None:
    settings.ATTACHMENT_MAX_PIXELS = 10_000

    with pytest.raises(ValidationError, match=r"“wide.png” has too many pixels"):
        attach(counterpart_incident, files.photo("PNG", (200, 51)), "wide.png",
               actor=exchange_world.lan)  # fmt: skip


def test_a_record_holds_at_most_the_set_number_of_attachments(
    exchange_world, counterpart_incident, settings
) -> None:
    settings.ATTACHMENT_MAX_PER_RECORD = 2
    for n in range(2):
        attach(counterpart_incident, files.photo(), f"p{n}.png", actor=exchange_world.lan)
    before = stored_files(settings)

    with pytest.raises(ValidationError, match=r"“p2.png” was not attached: .* at most 2"):
        attach(counterpart_incident, files.photo(), "p2.png", actor=exchange_world.lan)

    assert Attachment.objects.count() == 2
    assert stored_files(settings) == before  # the third file was written, then removed


def in_lans_language(message: str, **values: str) -> str:
    """A message as Lan reads it: her pages are in Vietnamese."""
    with translation.override("vi"):
        return gettext(message) % values


def test_a_refusal_through_the_page_names_the_file_in_the_readers_language(
    exchange_world, counterpart_incident
) -> None:
    client = client_of(exchange_world.lan)
    upload = SimpleUploadedFile("rỗng.jpg", b"", content_type="image/jpeg")

    response = client.post(
        f"/exchange/incidents/{counterpart_incident.reference}/attachments/",
        {"file": upload},
        follow=True,
    )

    assert response.status_code == 200
    assert not Attachment.objects.exists()
    assert 'lang="vi"' in response.content.decode()
    expected = in_lans_language("“%(name)s” is empty: nothing was attached.", name="rỗng.jpg")
    assert expected in response.content.decode()


# --- who attaches -------------------------------------------------------------------------------


def test_only_those_who_may_change_the_record_attach(exchange_world, counterpart_incident) -> None:
    # Dara reads Lan's seizure across the border, but does not change it
    with pytest.raises(PermissionDenied):
        attach(counterpart_incident, files.photo(), actor=exchange_world.dara)
    # through the page: refused, nothing saved
    response = client_of(exchange_world.dara).post(
        f"/exchange/incidents/{counterpart_incident.reference}/attachments/",
        {"file": SimpleUploadedFile("x.png", files.photo())},
    )
    assert response.status_code == 403
    # one who does not read it does not learn it exists
    response = client_of(exchange_world.sophea).post(
        f"/exchange/incidents/{counterpart_incident.reference}/attachments/",
        {"file": SimpleUploadedFile("x.png", files.photo())},
    )
    assert response.status_code == 404
    # Tuan, head of Moc Bai, changes the post's records
    attach(counterpart_incident, files.photo(), actor=exchange_world.tuan)
    assert Attachment.objects.count() == 1


def test_the_person_shown_must_be_an_entry_of_the_same_incident(
    exchange_world, counterpart_incident
) -> None:
    other = make_incident(exchange_world.lan, nominal=[{**PERSON, "distribution": "agency"}])
    stranger = NominalEntry.objects.get(incident=other)

    with pytest.raises(ValidationError, match="nominal entries"):
        attach(
            counterpart_incident, files.photo(), of_person=True, nominal_entry=stranger,
            actor=exchange_world.lan,
        )  # fmt: skip


# --- who reads ----------------------------------------------------------------------------------


@pytest.fixture
def photos(exchange_world, counterpart_incident) -> dict[str, Attachment]:
    suspect = NominalEntry.objects.get(incident=counterpart_incident)
    lan = exchange_world.lan
    return {
        "goods": attach(counterpart_incident, files.photo("JPEG"), "goods.jpg", actor=lan),
        "suspect": attach(
            counterpart_incident, files.photo("JPEG"), "suspect.jpg",
            of_person=True, nominal_entry=suspect, actor=lan,
        ),
        "person": attach(
            counterpart_incident, files.photo("JPEG"), "person.jpg", of_person=True, actor=lan
        ),
        "manifest": attach(counterpart_incident, files.pdf(), "manifest.pdf", actor=lan),
    }  # fmt: skip


READS = {
    # the recorder reads everything
    "lan": {"goods", "suspect", "person", "manifest"},
    # Moc Bai's police officer reads the record, not the customs' nominal part
    "minh": {"goods", "manifest"},
    # the counterpart across the border reads the goods, not the people
    "dara": {"goods", "manifest"},
    # another Cambodian post, another Vietnamese post, programme staff: nothing
    "sophea": set(),
    "hung": set(),
    "huong": set(),
    "ainsley": set(),
    "root": set(),
}


@pytest.mark.parametrize("persona", sorted(READS))
def test_each_persona_fetches_exactly_the_attachments_it_may_read(
    exchange_world, counterpart_incident, photos, persona: str
) -> None:
    client = client_of(getattr(exchange_world, persona))

    for name, attachment in photos.items():
        response = client.get(f"/exchange/attachments/{attachment.pk}/")
        thumbnail = client.get(f"/exchange/attachments/{attachment.pk}/thumbnail/")
        if name in READS[persona]:
            assert response.status_code == 200, (persona, name)
            assert response.getvalue() == Path(attachment.file.path).read_bytes()
            assert thumbnail.status_code == (200 if attachment.thumbnail else 404)
        else:
            assert response.status_code == 404, (persona, name)
            assert thumbnail.status_code == 404, (persona, name)

    page = client.get(f"/exchange/incidents/{counterpart_incident.reference}/")
    if READS[persona]:
        listed = {n for n in photos if f"{n}.jpg" in page.content.decode()} | (
            {"manifest"} if "manifest.pdf" in page.content.decode() else set()
        )
        assert listed == READS[persona]
    else:
        assert page.status_code == 404


def test_a_person_photo_follows_its_entry_when_the_entry_is_shared(
    exchange_world, counterpart_incident
) -> None:
    # given an incident whose driver's identity is shared with the counterpart too
    incident = make_incident(
        exchange_world.lan,
        distribution="counterpart",
        nominal=[{**PERSON, "role": "driver", "distribution": "counterpart"}],
    )
    driver = NominalEntry.objects.get(incident=incident)
    shown = attach(
        incident, files.photo(), "driver.png", of_person=True, nominal_entry=driver,
        actor=exchange_world.lan,
    )  # fmt: skip

    assert client_of(exchange_world.dara).get(shown.get_absolute_url()).status_code == 200
    assert client_of(exchange_world.sophea).get(shown.get_absolute_url()).status_code == 404


def test_programme_staff_read_what_a_group_shares_with_them(exchange_world) -> None:
    group = SharingGroup.objects.create(name="Task force", created_by=exchange_world.lan)
    group.members.set([exchange_world.lan, exchange_world.ainsley])
    incident = make_incident(exchange_world.lan, distribution="group", tlp="GREEN", group=group)
    goods = attach(incident, files.photo(), "goods.png", actor=exchange_world.lan)
    person = attach(incident, files.photo(), "p.png", of_person=True, actor=exchange_world.lan)

    ainsley = client_of(exchange_world.ainsley)
    assert ainsley.get(goods.get_absolute_url()).status_code == 200
    assert ainsley.get(person.get_absolute_url()).status_code == 404


def test_an_attachment_follows_its_record_when_the_record_is_narrowed(
    exchange_world, counterpart_incident, photos
) -> None:
    from liaison.exchange.models import Distribution
    from liaison.exchange.services import do_share_record

    do_share_record(
        counterpart_incident, Distribution.BLO, reason="narrowed", actor=exchange_world.lan
    )

    url = photos["goods"].get_absolute_url()
    assert client_of(exchange_world.dara).get(url).status_code == 404
    assert client_of(exchange_world.minh).get(url).status_code == 200


def test_the_file_is_served_unsniffable_and_never_cached(
    exchange_world, counterpart_incident, photos
) -> None:
    client = client_of(exchange_world.dara)

    pdf = client.get(photos["manifest"].get_absolute_url())
    image = client.get(photos["goods"].get_absolute_url())

    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith('attachment; filename="manifest.pdf"')
    assert image["Content-Type"] == "image/jpeg"
    assert image["Content-Disposition"].startswith("inline")
    for response in (pdf, image):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        assert "sandbox" in response["Content-Security-Policy"]
    # and the service worker sends these addresses to the network only
    assert is_record_path(photos["goods"].get_absolute_url())
    assert is_record_path(f"/exchange/attachments/{photos['goods'].pk}/thumbnail/")


def test_the_api_lists_only_the_attachments_the_reader_may_read(
    exchange_world, counterpart_incident, photos
) -> None:
    answer = client_of(exchange_world.dara).get(
        f"/api/exchange/incidents/{counterpart_incident.reference}"
    )

    listed = {a["name"] for a in answer.json()["attachments"]}
    assert listed == {"goods.jpg", "manifest.pdf"}
    goods = next(a for a in answer.json()["attachments"] if a["name"] == "goods.jpg")
    assert goods["url"].endswith(f"/exchange/attachments/{photos['goods'].pk}/")
    assert goods["thumbnail_url"].endswith("/thumbnail/")


# --- requests -----------------------------------------------------------------------------------


def test_both_posts_of_a_request_attach_and_read_no_other(exchange_world, settings) -> None:
    info = do_ask_for_information(
        InformationRequest(
            to_blo=exchange_world.bavet,
            question="Was this truck seen at Bavet?",
            deadline=timezone.localdate() + datetime.timedelta(days=3),
        ),
        actor=exchange_world.lan,
    )
    asked = attach(info, files.photo(), "truck.png", actor=exchange_world.lan)
    answered = attach(info, files.pdf(), "log.pdf", of_person=True, actor=exchange_world.dara)

    for persona, status in [("minh", 200), ("dara", 200), ("sophea", 404), ("hung", 404)]:
        client = client_of(getattr(exchange_world, persona))
        for attachment in (asked, answered):
            assert client.get(attachment.get_absolute_url()).status_code == status, persona
    with pytest.raises(PermissionDenied):
        attach(info, files.photo(), actor=exchange_world.sophea)
    # Dara removes her own; not the asking post's
    with pytest.raises(PermissionDenied):
        do_remove_attachment(asked, actor=exchange_world.dara)
    do_remove_attachment(answered, actor=exchange_world.dara)
    assert list(Attachment.objects.all()) == [asked]


# --- removal ------------------------------------------------------------------------------------


def test_removal_deletes_the_row_and_after_the_commit_the_files(
    exchange_world, counterpart_incident, settings, django_capture_on_commit_callbacks
) -> None:
    attachment = attach(counterpart_incident, files.photo(), "p.png", actor=exchange_world.lan)
    paths = [Path(attachment.file.path), Path(attachment.thumbnail.path)]
    assert all(p.exists() for p in paths)
    # Dara reads it but may not remove it
    refused = client_of(exchange_world.dara).post(f"/exchange/attachments/{attachment.pk}/remove/")
    assert refused.status_code == 403
    # Sophea does not even learn it exists
    hidden = client_of(exchange_world.sophea).post(f"/exchange/attachments/{attachment.pk}/remove/")
    assert hidden.status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = client_of(exchange_world.lan).post(
            f"/exchange/attachments/{attachment.pk}/remove/"
        )

    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert not any(p.exists() for p in paths)
    assert AuditEntry.objects.filter(
        object_type="exchange.Attachment", action="delete", object_id=str(attachment.pk)
    ).exists()


def _record_of_each_kind(kind: str, w: Any) -> Any:
    if kind == "incident":
        return make_incident(w.lan, distribution="counterpart", tlp="AMBER")
    if kind == "intelligence":
        return do_record_intelligence(
            IntelligenceReport(
                blo=w.moc_bai,
                title="Route via Cai Mep",
                crime_area="wildlife",
                source_reliability="B",
                information_credibility="2",
                body="Trucks at night.",
                distribution="blo",
                tlp="AMBER",
            ),
            source="",
            actor=w.lan,
        )
    return do_ask_for_information(
        InformationRequest(
            to_blo=w.bavet,
            question="Was this truck seen at Bavet?",
            deadline=timezone.localdate() + datetime.timedelta(days=3),
        ),
        actor=w.lan,
    )


@pytest.mark.parametrize("kind", ["incident", "intelligence", "request"])
def test_deleting_a_record_deletes_its_attachments_files_after_the_commit(
    exchange_world, kind, settings, django_capture_on_commit_callbacks
) -> None:
    # given a record with a photo (file and thumbnail) and a PDF
    record = _record_of_each_kind(kind, exchange_world)
    photo = attach(record, files.photo(), "p.png", actor=exchange_world.lan)
    pdf = attach(record, files.pdf(), "log.pdf", actor=exchange_world.lan)
    paths = [Path(photo.file.path), Path(photo.thumbnail.path), Path(pdf.file.path)]
    assert all(p.exists() for p in paths)

    # when the record is deleted (the deletion cascades to its attachments, no service runs)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        type(record)._default_manager.filter(pk=record.pk).delete()
        # nothing is deleted on disk before the commit
        assert all(p.exists() for p in paths)

    # then after the commit the rows and their files are gone, nothing else left in the store
    assert callbacks
    assert not Attachment.objects.exists()
    assert not any(p.exists() for p in paths)
    assert stored_files(settings) == []


def test_a_deletion_rolled_back_keeps_the_files(exchange_world, counterpart_incident) -> None:
    attachment = attach(counterpart_incident, files.photo(), "p.png", actor=exchange_world.lan)
    paths = [Path(attachment.file.path), Path(attachment.thumbnail.path)]

    with pytest.raises(RuntimeError), transaction.atomic():
        Incident.objects.filter(pk=counterpart_incident.pk).delete()
        raise RuntimeError("the deletion fails")

    assert Attachment.objects.filter(pk=attachment.pk).exists()
    assert all(p.exists() for p in paths)


def _age(path: Path, hours: float) -> None:
    when = time.time() - hours * 3600
    os.utime(path, (when, when))


def test_orphan_files_are_listed_then_removed_and_named_ones_kept(
    exchange_world, counterpart_incident, settings
) -> None:
    # given an attachment whose files are kept, and in the store two files no row names (one
    # old, one just written as by an upload under way) and a temporary file of a crashed upload
    kept = attach(counterpart_incident, files.photo(), "p.png", actor=exchange_world.lan)
    store = Path(settings.MEDIA_ROOT) / "attachments" / "2026" / "01"
    store.mkdir(parents=True, exist_ok=True)
    old_orphan = store / "0123456789abcdef.jpg"
    old_orphan.write_bytes(b"left behind")
    crashed = store / ".upload-x1y2z3"
    crashed.write_bytes(b"half")
    recent = store / "fedcba9876543210.jpg"
    recent.write_bytes(b"upload under way")
    for path in (old_orphan, crashed, Path(kept.file.path), Path(kept.thumbnail.path)):
        _age(path, 3)
    outside = Path(settings.MEDIA_ROOT) / "questionnaires" / "form.xlsx"
    outside.parent.mkdir(parents=True)
    outside.write_bytes(b"not an attachment")
    _age(outside, 3)

    # when an administrator lists them
    listed = io.StringIO()
    call_command("attachments", "orphans", stdout=listed)

    # then only the two old files without a row are listed, nothing is deleted
    lines = listed.getvalue().splitlines()
    assert sorted(line.split("\t")[0] for line in lines[:-1]) == [
        "attachments/2026/01/.upload-x1y2z3",
        "attachments/2026/01/0123456789abcdef.jpg",
    ]
    assert lines[-1].startswith("2 file(s) without an attachment (15 bytes)")
    assert old_orphan.exists() and crashed.exists()

    # when she removes them
    removed = io.StringIO()
    call_command("attachments", "orphans", "--remove", stdout=removed)

    # then they are gone, with an audit entry naming them; the rest is untouched
    assert removed.getvalue().splitlines()[-1].startswith("2 file(s) without an attachment removed")
    assert not old_orphan.exists() and not crashed.exists()
    assert recent.exists() and outside.exists()
    assert Path(kept.file.path).exists() and Path(kept.thumbnail.path).exists()
    entry = AuditEntry.objects.filter(object_type="exchange.Attachment", action="delete").get()
    assert sorted(entry.changes["files"]) == [
        "attachments/2026/01/.upload-x1y2z3",
        "attachments/2026/01/0123456789abcdef.jpg",
    ]
    # a second pass finds nothing
    again = io.StringIO()
    call_command("attachments", "orphans", stdout=again)
    assert again.getvalue().startswith("0 file(s)")


def test_upload_through_the_page_shows_the_thumbnail(exchange_world, counterpart_incident) -> None:
    client = client_of(exchange_world.lan)

    response = client.post(
        f"/exchange/incidents/{counterpart_incident.reference}/attachments/",
        {
            "file": SimpleUploadedFile("scales.jpg", files.photo_with_location()),
            "keep_location": "",
        },
        follow=True,
    )

    attachment = Attachment.objects.get()
    text = response.content.decode()
    assert in_lans_language("“%(name)s” attached.", name="scales.jpg") in text
    assert f'src="/exchange/attachments/{attachment.pk}/thumbnail/"' in text
    assert files.gps_of(Path(attachment.file.path).read_bytes()) == {}
