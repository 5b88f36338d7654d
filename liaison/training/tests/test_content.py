"""Content packages: the shipped modules are complete and bilingual; the import checks every
file, is all or nothing, and is idempotent."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from liaison.audit.models import AuditEntry
from liaison.training.content import ContentError, check_svg, read_folder
from liaison.training.demo import CONTENT_DIR
from liaison.training.models import (
    LessonAsset,
    LessonPage,
    Qualification,
    Question,
    ReferenceLink,
    TrainingModule,
)
from liaison.training.services import do_import_content, reference_exists

FULL_MODULES = ("precursor-identification", "ods-hazardous-waste", "cites-basics")
VIETNAMESE_MARKS = set("ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


def copy_package(tmp_path: Path, code: str = "precursor-identification") -> Path:
    target = tmp_path / "content" / code
    shutil.copytree(CONTENT_DIR / code, target)
    return target


@pytest.mark.parametrize("code", FULL_MODULES)
def test_shipped_module_is_complete_in_vietnamese_and_english(shipped, code):
    module = next(m for m in shipped.modules if m.code == code)
    assert module.languages[:2] == ["en", "vi"]
    assert len(module.pages) >= 5
    assert len(module.questions) >= 10
    assert module.pass_mark == 80
    assert len(module.images) >= 5 and all(i.content_type == "image/svg+xml" for i in module.images)
    for page in module.pages:
        assert set(page.body) == set(module.languages) >= {"en", "vi"}
        assert len(page.body["en"]) > 800 and len(page.body["vi"]) > 800
        # Vietnamese is written with its diacritics, not in bare ASCII
        assert len(VIETNAMESE_MARKS & set(page.body["vi"].lower())) >= 8
        assert "<img" in page.body["en"] and "<img" in page.body["vi"]
    for question in module.questions:
        assert question.text["vi"] != question.text["en"]
        assert any(choice.correct for choice in question.choices)
    assert any("Convention" in s["en"] for s in module.sources)


def test_shipped_content_cites_the_report_findings(shipped):
    pages = {m.code: " ".join(p.body["en"] for p in m.pages) for m in shipped.modules}
    assert "cocaine, cannabis, morphine and methamphetamine" in pages["precursor-identification"]
    assert "carbon dioxide and hydrocarbons" in pages["ods-hazardous-waste"]
    assert "53% had never heard of CITES" in pages["cites-basics"]
    for code in ("precursor-identification", "ods-hazardous-waste", "cites-basics"):
        assert "data-ref=" in pages[code]  # lessons point into the reference library


def test_import_creates_the_catalogue_with_reference_links(db, shipped):
    # when the shipped folder is imported
    report = do_import_content(shipped, actor=None)
    # then every package is a module, the three full ones with pages, images and quiz banks
    assert len(report.created) == len(shipped.modules) >= 12
    module = TrainingModule.objects.get(code="precursor-identification")
    assert LessonPage.objects.filter(module=module).count() == 5
    assert LessonAsset.objects.filter(module=module).count() == 5
    assert Question.objects.filter(module=module, active=True).count() == 12
    assert set(module.area_values) == {"precursors", "drugs"}
    assert ReferenceLink.objects.filter(module=module, kind="precursors", code="ephedrine").exists()
    qualification = Qualification.objects.get(code="blo-officer-level-1")
    assert sorted(r.module.code for r in qualification.requirements.all()) == sorted(FULL_MODULES)
    assert AuditEntry.objects.filter(
        object_type="training.TrainingModule", action="import"
    ).exists()


def test_importing_the_same_content_twice_changes_nothing(db, shipped):
    do_import_content(shipped, actor=None)
    entries = AuditEntry.objects.count()
    report = do_import_content(shipped, actor=None)
    assert report.created == [] and report.updated == []
    assert AuditEntry.objects.count() == entries  # nothing to record
    assert len(report.unchanged) == len(shipped.modules)
    assert TrainingModule.objects.count() == len(shipped.modules)


def test_changed_package_updates_pages_and_retires_removed_questions(db, tmp_path):
    package = copy_package(tmp_path)
    do_import_content(package, actor=None)
    # given a trainer edits a page and drops a question
    page = package / "pages" / "01-drug-or-precursor.en.html"
    page.write_text(page.read_text(encoding="utf-8") + "<p>Updated in 2027.</p>", encoding="utf-8")
    quiz = json.loads((package / "quiz.json").read_text(encoding="utf-8"))
    dropped = quiz["questions"].pop()["code"]
    (package / "quiz.json").write_text(json.dumps(quiz, ensure_ascii=False), encoding="utf-8")
    # when the package is imported again
    report = do_import_content(package, actor=None)
    # then the module is updated, not duplicated
    assert report.updated == ["precursor-identification"]
    module = TrainingModule.objects.get(code="precursor-identification")
    assert "Updated in 2027." in module.pages.get(position=1).body["en"]
    assert not module.questions.get(code=dropped).active
    assert module.questions.filter(active=True).count() == 11


def test_page_with_a_script_is_refused_naming_file_and_line(db, tmp_path):
    package = copy_package(tmp_path)
    page = package / "pages" / "02-tables-i-and-ii.vi.html"
    page.write_text(
        '<p>ok</p>\n<script>alert(1)</script>\n<p onclick="x()">hi</p>', encoding="utf-8"
    )
    with pytest.raises(ContentError) as caught:
        do_import_content(package, actor=None)
    messages = [str(p) for p in caught.value.problems]
    assert any("02-tables-i-and-ii.vi.html:2" in m and "<script>" in m for m in messages)
    assert any('"onclick"' in m for m in messages)
    # all or nothing
    assert TrainingModule.objects.count() == 0


def test_missing_translation_unknown_reference_and_bad_image_are_all_reported(db, tmp_path):
    package = copy_package(tmp_path)
    (package / "pages" / "03-precursors-of-the-region.vi.html").unlink()
    manifest = json.loads((package / "module.json").read_text(encoding="utf-8"))
    manifest["references"].append("precursors:unobtainium")
    del manifest["title"]["vi"]
    (package / "module.json").write_text(json.dumps(manifest), encoding="utf-8")
    (package / "images" / "evil.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>x</script></svg>'
    )
    with pytest.raises(ContentError) as caught:
        read_folder(package, reference_exists=reference_exists)
    text = str(caught.value)
    assert "03-precursors-of-the-region.vi.html: is missing" in text
    assert "precursors:unobtainium" in text
    assert "'title': has no text in vi" in text
    assert "evil.svg" in text and "onload" in text and "<script>" in text


def test_quiz_key_errors_are_refused(db, tmp_path):
    package = copy_package(tmp_path)
    quiz = json.loads((package / "quiz.json").read_text(encoding="utf-8"))
    for choice in quiz["questions"][1]["choices"]:
        choice["correct"] = True  # a single-answer question with four keys
    for choice in quiz["questions"][2]["choices"]:
        choice.pop("correct", None)  # and one without a key
    (package / "quiz.json").write_text(json.dumps(quiz), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        read_folder(package, reference_exists=reference_exists)
    text = str(caught.value)
    assert "question 2, 'choices': a \"single\" question has exactly one correct option" in text
    assert "question 3, 'choices': no option is marked correct" in text


def test_qualification_naming_an_unknown_module_rolls_back(db, tmp_path):
    package = copy_package(tmp_path)
    (package.parent / "qualifications.json").write_text(
        json.dumps(
            {
                "format": "liaison-training-qualifications/1",
                "qualifications": [
                    {
                        "code": "ghost",
                        "title": {"en": "Ghost", "vi": "Ma"},
                        "requirements": [{"module": "no-such-module", "min_score": 80}],
                    }
                ],
            }
        )
    )
    with pytest.raises(ContentError, match="no-such-module"):
        do_import_content(package.parent, actor=None)
    assert TrainingModule.objects.count() == 0


def test_svg_check_allows_drawings_only():
    drawing = b'<svg xmlns="http://www.w3.org/2000/svg"><defs><marker id="a"/></defs><path d="M0 0" marker-end="url(#a)"/><use href="#a"/></svg>'
    assert check_svg("ok.svg", drawing) == []
    outside = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="https://example.org/x.png"/></svg>'
    assert "leaves the image" in str(check_svg("bad.svg", outside)[0])


def test_command_checks_and_imports_the_shipped_content(db):
    out = StringIO()
    call_command("training", "import", "--check", stdout=out)
    assert "no problem found" in out.getvalue()
    assert TrainingModule.objects.count() == 0
    call_command("training", "import", stdout=out)
    assert TrainingModule.objects.filter(code="cites-basics").exists()


def test_command_refuses_a_broken_package(db, tmp_path):
    package = copy_package(tmp_path)
    (package / "module.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("training", "import", str(package))
