"""Lesson HTML is sanitised by nh3 at import and at display: known bypasses of hand-written
allow-lists (comment tricks, foreign content, encoded schemes, event handlers, styles) never reach
a reader as executable markup, while the shipped lessons keep their images, tables and links."""

from __future__ import annotations

import html
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from liaison.training.content import (
    ALLOWED_TAGS,
    COMMON_ATTRIBUTES,
    ContentError,
    sanitise_lesson_html,
    sanitising_changes,
)
from liaison.training.demo import CONTENT_DIR
from liaison.training.models import Enrolment, LessonPage, TrainingModule
from liaison.training.services import do_import_content
from liaison.training.tests.builders import signed_in

# Each one runs script (or loads outside code) in some browser or slips past some hand-written
# parser; OWASP's and PortSwigger's cheat sheets and mXSS write-ups are the sources.
PAYLOADS = [
    "<!--><script>alert(1)</script>-->",
    "<!---><script>alert(1)</script>-->",
    "<!-- --!><script>alert(1)</script> -->",
    "<!----!><img src=images/a.svg alt=x onerror=alert(1)>-->",
    "<!--<!--><script>alert(1)</script>-->",
    "<!-- a comment never closed <script>alert(1)</script>",
    "<!-->--><img src=x onerror=alert(1)>",
    "<p>ok</p><!--- -- --><script>alert(1)</script>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<svg onload=alert(1)>",
    '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;img src=1 onerror=alert(1)&gt;">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    "<scr<script>ipt>alert(1)</script>",
    "<<script>alert(1)//<</script>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a data-ref="precursors:ephedrine" href="javascript:alert(1)">x</a>',
    '<img src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;" alt="x">',
    '<img src="javascript:alert(1)" alt="x">',
    '<img src="https://tracker.example/pixel.png" alt="x">',
    '<img src="images/../../../admin/" alt="x">',
    '<img src="images/a.svg" alt="x" onerror="alert(1)">',
    '<p onclick="alert(1)">x</p>',
    '<p ONMOUSEOVER="alert(1)">x</p>',
    "<p/onclick=alert(1)>x</p>",
    '<details open ontoggle="alert(1)">x</details>',
    "<style>p{background:url(javascript:alert(1))}</style>",
    '<p style="width: expression(alert(1))">x</p>',
    '<div style="background:url(&#106;avascript:alert(1))">x</div>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="https://evil.example/"><button formaction="javascript:alert(1)">x</button></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<p class="topbar messages">looks like the app</p>',
    '<p id="language-select">clobbers the page\'s own element</p>',
]

URL_ATTRIBUTES = {"href", "src"}
SAFE_URL = {
    "href": re.compile(r"^(https?://|#|/reference/)", re.IGNORECASE),
    "src": re.compile(r"^(images/[^/]+$|/training/modules/)"),
}


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def executable_markup(fragment: str) -> list[str]:
    """Everything in a fragment that could run code, load from outside or restyle the page."""
    parser = _Markup()
    parser.feed(fragment)
    parser.close()
    found = [f"comment {c!r}" for c in parser.comments]
    if re.search(
        r"<\s*/?\s*(script|style|svg|math|iframe|object|embed|base|meta|link|form)\b",
        fragment,
        re.I,
    ):
        found.append("a forbidden element in the markup")
    for tag, attrs in parser.tags:
        if tag not in ALLOWED_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name not in ALLOWED_TAGS.get(tag, set()) | COMMON_ATTRIBUTES | {"rel"}:
                found.append(f"{tag}[{name}]")
            if name in URL_ATTRIBUTES and not SAFE_URL[name].match(html.unescape(value).strip()):
                found.append(f"{tag}[{name}={value!r}]")
            if name in URL_ATTRIBUTES and ".." in value:
                found.append(f"{tag}[{name}={value!r}] leaves the folder")
            if name == "class" and set(value.split()) - {
                "lead",
                "note",
                "warning",
                "keyfacts",
                "source",
            }:
                found.append(f"{tag}[class={value!r}]")
            if name == "id" and not value.startswith("lesson-"):
                found.append(f"{tag}[id={value!r}]")
    return found


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_bypass_survives_sanitising(payload):
    clean = sanitise_lesson_html(f"<p>Before</p>{payload}<p>After</p>")
    assert executable_markup(clean) == [], clean
    assert clean.startswith("<p>Before</p>")  # what comes after may be eaten by the payload


def test_the_checker_of_this_test_finds_what_it_looks_for():
    # the oracle above is itself checked, so the test cannot pass by seeing nothing
    for payload in PAYLOADS:
        assert executable_markup(payload) != [], payload


def copy_package(tmp_path: Path, code: str = "precursor-identification") -> Path:
    target = tmp_path / "content" / code
    shutil.copytree(CONTENT_DIR / code, target)
    return target


@pytest.mark.parametrize(
    "payload",
    [
        "<!--><script>alert(1)</script>-->",
        "<!---><script>alert(1)</script>-->",
        "<!-- --!><script>alert(1)</script> -->",
        "<!--<!--><script>alert(1)</script>-->",
        "<!-->--><img src=x onerror=alert(1)>",
        '<a href="jav&#x61;script:alert(1)">x</a>',
        "<svg><script>alert(1)</script></svg>",
        '<p style="width: expression(alert(1))">x</p>',
    ],
)
def test_import_refuses_a_page_with_a_bypass_naming_the_file(db, tmp_path, payload):
    # given a trainer's package whose page hides a script from a simple parser
    package = copy_package(tmp_path)
    page = package / "pages" / "01-drug-or-precursor.en.html"
    page.write_text(f"<p>Read this.</p>\n{payload}\n<p>Done.</p>", encoding="utf-8")
    # when it is imported, then it is refused and nothing is stored
    with pytest.raises(ContentError) as caught:
        do_import_content(package, actor=None)
    assert any("01-drug-or-precursor.en.html" in str(p) for p in caught.value.problems)
    assert TrainingModule.objects.count() == 0


def test_comment_that_ends_early_is_explained_to_the_author():
    change = sanitising_changes("<p>a</p><!--><p>hidden?</p>-->")
    assert change is not None and "hidden?" in change
    assert sanitising_changes("<p>a</p><!-- an ordinary comment --><p>b</p>") is None


def test_stored_page_is_sanitised_again_when_shown(catalogue, world):
    # given a lesson row written around the import (an old database, a direct write)
    module = catalogue["precursor-identification"]
    LessonPage.objects.filter(module=module, position=1).update(
        body={
            "en": '<p>Read.</p><!--><script>alert("xss")</script>--><img src=x onerror=alert(1)>'
            '<a href="javascript:alert(2)">more</a>',
            "vi": "<p>Đọc.</p>",
        }
    )
    Enrolment.objects.create(officer=world.lan, module=module)
    # when an officer opens it
    page = signed_in(world.lan).get(
        "/training/modules/precursor-identification/pages/1/", {"lang": "en"}
    )
    # then the text is there and nothing executable is
    body = page.content.decode()
    lesson = body.split('id="lesson"', 1)[1].split("</article>", 1)[0]
    assert "<p>Read.</p>" in lesson
    assert "alert" not in lesson and "onerror" not in lesson and "javascript:" not in lesson


def outline(fragment: str) -> list[tuple[str, tuple[tuple[str, str], ...]] | str]:
    parser = _Markup()
    items: list[tuple[str, tuple[tuple[str, str], ...]] | str] = []
    parser.handle_starttag = lambda tag, attrs: items.append(  # type: ignore[method-assign]
        (tag, tuple(sorted((n, v or "") for n, v in attrs if n != "rel")))
    )
    parser.handle_data = lambda data: items.extend(data.split())  # type: ignore[method-assign]
    parser.feed(fragment)
    parser.close()
    return items


@pytest.mark.parametrize(
    "path",
    sorted(CONTENT_DIR.glob("*/pages/*.html")),
    ids=lambda p: f"{p.parent.parent.name}/{p.name}",
)
def test_shipped_lessons_keep_their_meaning(path):
    raw = path.read_text(encoding="utf-8")
    clean = sanitise_lesson_html(raw)
    # every element, attribute value and word is kept (ids get their prefix)
    assert outline(clean) == outline(raw)
    assert sanitise_lesson_html(clean) == clean


def test_a_shipped_lesson_shows_its_images_tables_and_links(catalogue, world):
    client = signed_in(world.lan, "en")
    client.post("/training/modules/precursor-identification/enrol/")
    page = client.get("/training/modules/precursor-identification/pages/2/", {"lang": "en"})
    body = page.content.decode()
    assert "<table" in body and "<th scope=" in body
    assert 'src="/training/modules/precursor-identification/assets/' in body
    assert 'href="/reference/precursors/' in body
