"""The complete modules in Khmer and Lao: they import with both languages, a Khmer or Lao
officer reads the module, its lessons and its quiz in their own language, the page says the
translation awaits a native speaker's review, and the import refuses what it cannot place."""

from __future__ import annotations

import json
import re

import pytest

from liaison.training.content import ContentError, read_folder
from liaison.training.models import QuizAttempt
from liaison.training.services import do_import_content, reference_exists
from liaison.training.tests.builders import signed_in
from liaison.training.tests.test_content import FULL_MODULES, copy_package

# Letters of each script: a page "in Khmer" must be written in Khmer script, not in English.
KHMER = range(0x1780, 0x1800)
LAO = range(0x0E80, 0x0F00)

# Strings taken from the shipped files, one per thing a reader sees.
READER_TEXTS = {
    "km": {
        "module": "ការកំណត់អត្តសញ្ញាណសារធាតុគីមីមុនគេ",  # module.json title
        "page": "គ្រឿងញៀន ឬសារធាតុគីមីមុនគេ?",  # page 1's title
        "body": "គ្រឿងញៀនមួយប្រភេទ",  # page 1's text
        "quiz": "ម័រហ្វីនគឺជា",  # question q02
    },
    "lo": {
        "module": "ການກວດຈຳແນກສານເຄມີຕັ້ງຕົ້ນ",
        "page": "ຢາເສບຕິດ ຫຼື ສານເຄມີຕັ້ງຕົ້ນ?",
        "body": "ຢາເສບຕິດຊະນິດໜຶ່ງ",
        "quiz": "ມໍຟີນແມ່ນ",
    },
}


def script_share(text: str, letters: range) -> float:
    """The share of the text's letters (outside the markup) written in the given script."""
    letters_only = [c for c in re.sub(r"<[^>]*>", " ", text) if c.isalpha()]
    return sum(1 for c in letters_only if ord(c) in letters) / max(len(letters_only), 1)


@pytest.mark.parametrize("code", FULL_MODULES)
def test_complete_modules_are_written_in_khmer_and_lao_and_marked_for_review(shipped, code):
    module = next(m for m in shipped.modules if m.code == code)
    assert module.languages == ["en", "vi", "km", "lo"]
    assert module.review == {"km": "machine-assisted", "lo": "machine-assisted"}
    for lang, letters in (("km", KHMER), ("lo", LAO)):
        assert script_share(module.title[lang], letters) > 0.5
        assert len(module.objectives[lang]) == len(module.objectives["en"])
        assert all(lang in source for source in module.sources)
        for page in module.pages:
            # the same page: its images, its reference links, and mostly the reader's script
            assert page.body[lang].count("<img") == page.body["en"].count("<img")
            assert page.body[lang].count("data-ref=") == page.body["en"].count("data-ref=")
            assert page.body[lang].count("<li") == page.body["en"].count("<li")
            assert script_share(page.body[lang], letters) > 0.5, (page.slug, lang)
            # a short title may be mostly a name in Latin letters ("CITES ជាអ្វី")
            assert script_share(page.title[lang], letters) > 0.3
        for question in module.questions:
            # (a question may name a species or a chemical in Latin letters, as on labels)
            assert script_share(question.text[lang], letters) > 0.2, question.code
            assert script_share(question.explanation[lang], letters) > 0.2, question.code
            assert all(choice.text[lang] for choice in question.choices)


@pytest.mark.parametrize("lang", ["km", "lo"])
def test_officer_reads_module_lesson_and_quiz_in_khmer_or_lao(catalogue, world, lang):
    # given an officer whose own language is Khmer (or Lao)
    client = signed_in(world.lan, lang)
    texts = READER_TEXTS[lang]
    # when they open the module, then it is in their language, with the review notice
    module_page = client.get("/training/modules/precursor-identification/").content.decode()
    assert texts["module"] in module_page
    assert f'id="translation-review" lang="{lang}"' in module_page
    # the lesson
    client.post("/training/modules/precursor-identification/enrol/")
    lesson = client.get("/training/modules/precursor-identification/pages/1/").content.decode()
    assert texts["page"] in lesson and texts["body"] in lesson
    assert f'<article class="card lesson" lang="{lang}"' in lesson
    assert 'id="translation-review"' in lesson
    # and the quiz
    response = client.post("/training/modules/precursor-identification/quiz/")
    attempt = QuizAttempt.objects.get(enrolment__officer=world.lan)
    assert attempt.language == lang
    quiz = client.get(response["Location"]).content.decode()
    assert 'id="translation-review"' in quiz
    legends = [q["code"] for q in attempt.questions]
    if "q02-morphine" in legends:
        assert texts["quiz"] in quiz
    assert script_share(quiz.split('id="quiz"')[1], KHMER if lang == "km" else LAO) > 0.3


def test_english_reader_of_a_reviewed_language_sees_no_notice(catalogue, world):
    page = signed_in(world.lan, "en").get("/training/modules/cites-basics/").content.decode()
    assert "translation-review" not in page
    vietnamese = signed_in(world.lan, "vi").get("/training/modules/cites-basics/")
    assert "translation-review" not in vietnamese.content.decode()


def test_text_missing_in_khmer_falls_back_to_english(db, world, tmp_path):
    # given a module whose Khmer sources leave one citation in English only
    package = copy_package(tmp_path)
    manifest = json.loads((package / "module.json").read_text(encoding="utf-8"))
    english_only = manifest["sources"][0]["en"]
    del manifest["sources"][0]["km"]
    (package / "module.json").write_text(json.dumps(manifest), encoding="utf-8")
    do_import_content(package, actor=None)
    # when a Khmer officer reads it, then that one text is in English, the rest in Khmer
    page = signed_in(world.lan, "km").get("/training/modules/precursor-identification/")
    text = page.content.decode()
    assert english_only in text
    assert READER_TEXTS["km"]["module"] in text


def test_page_in_a_language_the_module_does_not_list_is_refused(db, tmp_path):
    package = copy_package(tmp_path)
    manifest = json.loads((package / "module.json").read_text(encoding="utf-8"))
    manifest["languages"] = ["en", "vi"]
    manifest["review"] = {}
    (package / "module.json").write_text(json.dumps(manifest), encoding="utf-8")
    (package / "pages" / "01-drug-or-precursor.th.html").write_text("<p>x</p>", encoding="utf-8")
    (package / "pages" / "06-extra.en.html").write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        do_import_content(package, actor=None)
    text = str(caught.value)
    assert (
        "precursor-identification/pages/01-drug-or-precursor.km.html: is written in 'km', "
        'which module.json\'s "languages" does not list (en, vi)'
    ) in text
    assert "01-drug-or-precursor.th.html: is written in 'th'" in text
    assert "06-extra.en.html: is not a page listed in module.json" in text


def test_review_marker_names_listed_languages_and_known_states(db, tmp_path):
    package = copy_package(tmp_path)
    manifest = json.loads((package / "module.json").read_text(encoding="utf-8"))
    manifest["review"] = {"th": "machine-assisted", "km": "pending", "lo": "machine-assisted"}
    manifest["languages"].append("xx")
    (package / "module.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        read_folder(package, reference_exists=reference_exists)
    text = str(caught.value)
    assert "'review': 'th' is not one of the module's languages (en, vi, km, lo)" in text
    assert "'review': km: 'pending' is not one of: machine-assisted, unreviewed" in text
    assert "'languages': 'xx' is not one of: en, km, lo, th, vi, zh-hans" in text
