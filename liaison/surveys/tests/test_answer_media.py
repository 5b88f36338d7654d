"""Files answering image, audio, video and file questions: sent with the ODK instance (OpenRosa
multipart, or the page's own post), kept only when the answers name them, within the size limits
and of the question's kind, all or nothing; read by whoever reads the submission, as a download,
and gone with the submission."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from liaison.registry.models import User
from liaison.surveys import services
from liaison.surveys.answer_media import AnswerMediaRejected, MediaPart, media_kind
from liaison.surveys.instances import parse_instance
from liaison.surveys.models import Submission, SubmissionMedia, SurveyRound
from liaison.surveys.odk_views import PAGE_FIELD
from liaison.surveys.tests.builders import EN, VI, make_form
from liaison.surveys.tests.rounds import make_round, signed_in, upload_small

pytestmark = pytest.mark.django_db

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"

MEDIA_SURVEY: list[dict[str, str]] = [
    {"type": "text", "name": "place", f"label::{EN}": "Place", f"label::{VI}": "Địa điểm"},
    {"type": "image", "name": "photo", f"label::{EN}": "Photo of the goods", f"label::{VI}": "Ảnh"},
    {"type": "audio", "name": "voice", f"label::{EN}": "Voice note", f"label::{VI}": "Ghi âm"},
    {"type": "video", "name": "clip", f"label::{EN}": "Video", f"label::{VI}": "Video"},
    {"type": "file", "name": "document", f"label::{EN}": "Document", f"label::{VI}": "Tài liệu"},
    {
        "type": "image",
        "name": "signature",
        f"label::{EN}": "Signature",
        f"label::{VI}": "Chữ ký",
        "appearance": "signature",
    },
]
MEDIA_SETTINGS = [{"form_id": "seizure_media", "form_title": "Seizure photos", "version": "1"}]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
OGG = b"OggS" + b"\x00" * 64


def media_round(world: Any) -> SurveyRound:
    """A questionnaire with an image, audio, video, file and signature question, in an open
    round over Moc Bai."""
    questionnaire = upload_small(
        world.ainsley, survey=MEDIA_SURVEY, choices=None, settings=MEDIA_SETTINGS
    )
    return make_round(
        questionnaire,
        world.ainsley,
        [world.moc_bai],
        site_question="",
        agency_question="",
        cluster_question="",
    )


def instance_xml(survey_round: SurveyRound, answers: dict[str, str], instance_id: str) -> str:
    """The form's primary instance with ``answers`` filled in, as the engine sends it."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    xform = etree.fromstring(survey_round.form().xform.encode(), parser)
    primary = xform.find(f"{{{H}}}head/{{{XF}}}model").find(f"{{{XF}}}instance")
    root = copy.deepcopy(next(child for child in primary if isinstance(child.tag, str)))
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in answers:
            element.text = answers[name]
        elif name == "instanceID":
            element.text = instance_id
    return str(etree.tostring(root, encoding="unicode"))


def submit_url(survey_round: SurveyRound) -> str:
    return f"/surveys/rounds/{survey_round.pk}/submission/"


def english(user: User) -> Client:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return signed_in(user)


def openrosa_post(
    client: Client,
    survey_round: SurveyRound,
    answers: dict[str, str],
    files: dict[str, tuple[bytes, str]],
    instance_id: str = "uuid:lan-media-1",
) -> Any:
    """An OpenRosa submission: the instance as ``xml_submission_file``, each file a part named
    as the answer names it."""
    body: dict[str, Any] = {
        "xml_submission_file": SimpleUploadedFile(
            "submission.xml",
            instance_xml(survey_round, answers, instance_id).encode(),
            content_type="text/xml",
        )
    }
    for name, (data, content_type) in files.items():
        body[name] = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(submit_url(survey_round), body)


def stored_files() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "surveys" / "answers"
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.is_dir() else []


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    # every test its own folder: "nothing stored" is read from the disk
    settings.MEDIA_ROOT = tmp_path / "media"


# --- the questions that take a file --------------------------------------------------------


def test_image_audio_video_file_and_signature_questions_take_a_file():
    form = make_form(survey=MEDIA_SURVEY, choices=None, settings=MEDIA_SETTINGS)
    kinds = {question.name: media_kind(question) for question in form.questions}
    assert kinds["photo"] == "image" and kinds["signature"] == "image"
    assert kinds["voice"] == "audio" and kinds["clip"] == "video"
    assert kinds["document"] == "file" and kinds["place"] is None


def test_the_instance_says_which_file_answers_which_question(world):
    survey_round = media_round(world)
    xml = instance_xml(
        survey_round, {"photo": "1712.jpg", "place": "1712.jpg", "voice": "a.ogg"}, "uuid:x"
    )
    instance = parse_instance(xml.encode(), survey_round.form())
    # a text answer that happens to be a file name names no file
    assert instance.media == {"1712.jpg": "photo", "a.ogg": "voice"}


# --- OpenRosa: the files beside the instance -----------------------------------------------


def test_an_openrosa_client_sends_a_photo_and_a_voice_note_and_both_are_kept(world):
    # given Lan's instance naming a photo and a voice note
    survey_round = media_round(world)

    # when her client posts it with the two files
    response = openrosa_post(
        english(world.lan),
        survey_round,
        {"place": "Moc Bai", "photo": "1712345678901.jpg", "voice": "1712345678902.ogg"},
        {"1712345678901.jpg": (JPEG, "image/jpeg"), "1712345678902.ogg": (OGG, "audio/ogg")},
    )

    # then the submission keeps both, each with its question, size, type and digest
    assert response.status_code == 201, response.content
    submission = Submission.objects.get(round=survey_round, respondent=world.lan)
    photo = submission.media.get(name="1712345678901.jpg")
    assert (photo.question, photo.size, photo.content_type) == ("photo", len(JPEG), "image/jpeg")
    assert photo.sha256 == hashlib.sha256(JPEG).hexdigest()
    with photo.file.open("rb") as handle:
        assert handle.read() == JPEG
    assert submission.media.get(name="1712345678902.ogg").question == "voice"
    assert len(stored_files()) == 2


def test_a_file_larger_than_the_limit_is_refused_with_413_naming_the_question(world, settings):
    settings.SURVEY_MEDIA_MAX_BYTES = 50
    survey_round = media_round(world)
    response = openrosa_post(
        english(world.lan),
        survey_round,
        {"photo": "big.png"},
        {"big.png": (PNG, "image/png")},
    )
    assert response.status_code == 413
    message = response.content.decode()
    assert "big.png" in message and "photo" in message and "0.0 MB" in message
    assert not Submission.objects.filter(round=survey_round).exists()
    assert stored_files() == []


def test_files_together_larger_than_a_submission_may_send_are_refused_with_413(world, settings):
    # given each file within the limit, both together past the submission's
    settings.SURVEY_MEDIA_MAX_TOTAL_BYTES = 100
    survey_round = media_round(world)

    # when both are sent
    response = openrosa_post(
        english(world.lan),
        survey_round,
        {"photo": "a.png", "signature": "b.png"},
        {"a.png": (PNG, "image/png"), "b.png": (PNG, "image/png")},
    )

    # then nothing is kept, and the answer names the file that passed the limit
    assert response.status_code == 413
    assert "b.png" in response.content.decode()
    assert "submission" in response.content.decode()
    assert not Submission.objects.filter(round=survey_round).exists()
    assert not SubmissionMedia.objects.exists() and stored_files() == []


def test_a_post_larger_than_any_submission_is_refused_before_it_is_read(world, settings):
    # given a submission may send 1 kB of files (with the instance's 5 MB and 1 MB of form)
    settings.SURVEY_MEDIA_MAX_TOTAL_BYTES = 1024
    survey_round = media_round(world)

    # when a client announces a larger body
    response = english(world.lan).post(
        submit_url(survey_round),
        b"",
        content_type="multipart/form-data; boundary=x",
        headers={"Content-Length": str(7 * 1024 * 1024)},
    )

    # then it is refused with 413, nothing read or recorded
    assert response.status_code == 413
    assert "5.0 MB" in response.content.decode()
    assert not Submission.objects.filter(round=survey_round).exists()


@pytest.mark.parametrize(
    ("question", "name", "content_type"),
    [
        ("photo", "notes.txt", "text/plain"),
        ("photo", "drawing.svg", "image/svg+xml"),
        ("voice", "clip.mp4", "video/mp4"),
        ("clip", "photo.jpg", "image/jpeg"),
    ],
)
def test_a_file_not_of_the_questions_kind_is_refused_with_415(world, question, name, content_type):
    survey_round = media_round(world)
    response = openrosa_post(
        english(world.lan), survey_round, {question: name}, {name: (b"data", content_type)}
    )
    assert response.status_code == 415
    assert name in response.content.decode() and question in response.content.decode()
    assert not Submission.objects.filter(round=survey_round).exists()
    assert stored_files() == []


def test_a_generic_type_is_read_from_the_files_extension(world):
    # some clients send every part as application/octet-stream
    survey_round = media_round(world)
    response = openrosa_post(
        english(world.lan),
        survey_round,
        {"photo": "1712.jpg"},
        {"1712.jpg": (JPEG, "application/octet-stream")},
    )
    assert response.status_code == 201
    assert SubmissionMedia.objects.get().content_type == "image/jpeg"


def test_a_part_no_answer_names_is_refused_and_nothing_is_kept(world):
    # given an instance naming a photo, and a second file no answer names
    survey_round = media_round(world)

    # when both are sent
    response = openrosa_post(
        english(world.lan),
        survey_round,
        {"photo": "1712.jpg", "place": "other.jpg"},
        {"1712.jpg": (JPEG, "image/jpeg"), "other.jpg": (JPEG, "image/jpeg")},
    )

    # then the submission is refused (the text answer that spells a file name names no file)
    assert response.status_code == 400
    assert "other.jpg" in response.content.decode()
    assert not Submission.objects.filter(round=survey_round).exists()
    assert stored_files() == []


def test_a_file_sent_twice_is_refused(world):
    survey_round = media_round(world)
    xml = instance_xml(survey_round, {"photo": "1712.jpg"}, "uuid:twice").encode()
    response = english(world.lan).post(
        submit_url(survey_round),
        {
            "xml_submission_file": SimpleUploadedFile("s.xml", xml, content_type="text/xml"),
            "1712.jpg": [
                SimpleUploadedFile("1712.jpg", JPEG, content_type="image/jpeg"),
                SimpleUploadedFile("1712.jpg", JPEG, content_type="image/jpeg"),
            ],
        },
    )
    assert response.status_code == 400
    assert "1712.jpg" in response.content.decode()
    assert not Submission.objects.filter(round=survey_round).exists()
    assert stored_files() == []


def test_a_refusal_after_a_file_was_written_removes_it_again(world, monkeypatch):
    # given the audit entry fails after the files were written (the transaction rolls back)
    survey_round = media_round(world)

    def failing_record(**kwargs: Any) -> None:
        raise RuntimeError("the audit chain is locked")

    monkeypatch.setattr(services, "record", failing_record)

    # when Lan's photo and voice note are submitted
    instance = parse_instance(
        instance_xml(survey_round, {"photo": "a.jpg", "voice": "b.ogg"}, "uuid:r").encode(),
        survey_round.form(),
    )
    parts = [
        MediaPart("a.jpg", "image/jpeg", len(JPEG), SimpleUploadedFile("a.jpg", JPEG)),
        MediaPart("b.ogg", "audio/ogg", len(OGG), SimpleUploadedFile("b.ogg", OGG)),
    ]
    with pytest.raises(RuntimeError):
        services.do_save_submission(
            survey_round,
            instance.answers,
            submit=True,
            language="en",
            actor=world.lan,
            instance=instance,
            media=parts,
        )

    # then no row and no file is left
    assert not Submission.objects.exists() and not SubmissionMedia.objects.exists()
    assert stored_files() == []


def test_the_service_refuses_a_file_without_an_instance_naming_it(world):
    survey_round = media_round(world)
    part = MediaPart("a.jpg", "image/jpeg", len(JPEG), SimpleUploadedFile("a.jpg", JPEG))
    with pytest.raises(AnswerMediaRejected) as refused:
        services.do_save_submission(
            survey_round, {}, submit=False, language="en", actor=world.lan, media=[part]
        )
    assert refused.value.status == 400
    assert not Submission.objects.exists()


def test_the_pages_multipart_post_keeps_the_file_and_goes_to_the_round(world):
    # the page sends its instance field and the engine's attachments in one multipart post
    survey_round = media_round(world)
    response = english(world.lan).post(
        submit_url(survey_round),
        {
            PAGE_FIELD: instance_xml(survey_round, {"photo": "1712.png"}, "uuid:page-1"),
            "1712.png": SimpleUploadedFile("1712.png", PNG, content_type="image/png"),
        },
        headers={"Idempotency-Key": "odk-media-1"},
    )
    assert response.status_code == 201
    assert response["Location"] == survey_round.get_absolute_url()
    assert SubmissionMedia.objects.get().submission.respondent == world.lan


def test_a_refusal_on_the_page_says_why_and_gives_the_instance_back(world, settings):
    settings.SURVEY_MEDIA_MAX_BYTES = 10
    survey_round = media_round(world)
    response = english(world.lan).post(
        submit_url(survey_round),
        {
            PAGE_FIELD: instance_xml(survey_round, {"photo": "1712.png"}, "uuid:page-2"),
            "1712.png": SimpleUploadedFile("1712.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 413
    document = lxml_html.fromstring(response.content.decode())
    assert "1712.png" in document.get_element_by_id("odk-status").text_content()
    assert "uuid:page-2" in document.get_element_by_id("odk-instance-xml").text_content()
    assert stored_files() == []


def test_the_page_cannot_record_a_photo_that_did_not_arrive(world):
    # given a draft reopened on the page names a photo the engine no longer holds
    survey_round = media_round(world)

    # when the page sends the instance without it
    response = english(world.lan).post(
        submit_url(survey_round),
        {PAGE_FIELD: instance_xml(survey_round, {"photo": "1712.png"}, "uuid:page-3")},
    )

    # then it is asked for again, and nothing is recorded
    assert response.status_code == 400
    document = lxml_html.fromstring(response.content.decode())
    status = document.get_element_by_id("odk-status")
    assert "1712.png" in status.text_content() and "attach it again" in status.text_content()
    assert status.get("data-keep-reason") is not None
    assert not Submission.objects.filter(round=survey_round).exists()


def test_an_openrosa_client_may_leave_a_file_out(world):
    # as ODK Central takes it: the answer keeps the file's name, no file is stored
    survey_round = media_round(world)
    response = openrosa_post(english(world.lan), survey_round, {"photo": "1712.png"}, {})
    assert response.status_code == 201
    assert not SubmissionMedia.objects.exists()


def test_the_refusal_speaks_the_officers_language(world, settings):
    # given Lan reads Vietnamese
    settings.SURVEY_MEDIA_MAX_BYTES = 10
    survey_round = media_round(world)
    world.lan.preferred_language = "vi"
    world.lan.save(update_fields=["preferred_language"])

    # when her photo is too large
    response = openrosa_post(
        signed_in(world.lan), survey_round, {"photo": "1712.png"}, {"1712.png": (PNG, "image/png")}
    )

    # then the reason is given in her language, naming the file and the question
    assert response.status_code == 413
    with translation.override("vi"):
        expected = gettext(
            "The file %(file)s answering “%(question)s” is larger than %(size)s MB, "
            "the most a file may be."
        ) % {"file": "1712.png", "question": "photo", "size": "0,0"}
    assert "lớn hơn 0,0 MB" in expected
    assert response.content.decode() == expected


# --- reading the files ---------------------------------------------------------------------


def submitted_with_files(world: Any) -> Submission:
    survey_round = media_round(world)
    response = openrosa_post(
        english(world.lan),
        survey_round,
        {"photo": "1712.jpg", "document": "report.html"},
        {
            "1712.jpg": (JPEG, "image/jpeg"),
            "report.html": (b"<script>alert(1)</script>", "text/html"),
        },
    )
    assert response.status_code == 201, response.content
    return Submission.objects.get(round=survey_round, respondent=world.lan)


def file_url(submission: Submission, name: str) -> str:
    return f"/surveys/submissions/{submission.pk}/files/{name}"


def test_the_respondent_and_programme_staff_download_the_files(world):
    submission = submitted_with_files(world)
    for reader in (world.lan, world.ainsley):
        response = english(reader).get(file_url(submission, "1712.jpg"))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == JPEG  # type: ignore[attr-defined]
        assert response["Content-Type"] == "image/jpeg"


def test_a_document_is_a_download_that_runs_nothing(world):
    # given a file question answered with an HTML document
    submission = submitted_with_files(world)

    # when it is fetched
    response = english(world.lan).get(file_url(submission, "report.html"))

    # then it comes as a download, never sniffed, under a policy that runs nothing
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("reader", ["minh", "tuan", "huong", "dara"])
def test_anyone_who_does_not_read_the_submission_gets_404(world, reader):
    # Minh (an officer of the same BLO), Tuan (its head), Huong (the national coordinator) and
    # Dara (Cambodia) do not read Lan's answers, nor their files
    submission = submitted_with_files(world)
    response = english(getattr(world, reader)).get(file_url(submission, "1712.jpg"))
    assert response.status_code == 404


def test_a_name_the_submission_does_not_hold_is_404(world):
    submission = submitted_with_files(world)
    assert english(world.lan).get(file_url(submission, "absent.jpg")).status_code == 404
    assert english(world.lan).get("/surveys/submissions/999999/files/a.jpg").status_code == 404


def test_the_submission_page_links_its_files(world):
    submission = submitted_with_files(world)
    response = english(world.lan).get(submission.get_absolute_url())
    document = lxml_html.fromstring(response.content.decode())
    found = document.xpath("//a[@data-answer-file]")
    links = {link.text_content(): link.get("href") for link in found}
    assert links == {
        "1712.jpg": file_url(submission, "1712.jpg"),
        "report.html": file_url(submission, "report.html"),
    }


def test_deleting_the_submission_removes_its_files(world, django_capture_on_commit_callbacks):
    # given Lan's submission with two files on the disk
    submission = submitted_with_files(world)
    assert len(stored_files()) == 2

    # when the submission is deleted (its round's deletion would cascade the same way)
    with django_capture_on_commit_callbacks(execute=True):
        submission.delete()

    # then the rows and the files are gone
    assert not SubmissionMedia.objects.exists()
    assert stored_files() == []
