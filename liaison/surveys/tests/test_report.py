from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable

import pandas as pd
import pytest

from liaison.surveys import report
from liaison.surveys.analysis import analyze, compare
from liaison.surveys.report import (
    PATROL_SAMPLE_PLAN,
    ReportOptions,
    SamplePlan,
    bar_chart,
    pie_chart,
    render_comparison_html,
    render_html,
    sample_shortfalls,
)
from liaison.surveys.xlsform import CALCULATE, SELECT_MULTIPLE, SELECT_ONE


@pytest.fixture(scope="module")
def vietnamese_pdf(small_form, tmp_path_factory):
    """A Vietnamese report of the small form, charts and all, as PDF (drawn once)."""
    from weasyprint import HTML

    answers = pd.DataFrame(
        {
            "agency": ["police", "customs", "army", "police", "customs"],
            "knows_ods": ["yes", "no", "yes", "yes", "no"],
            "ods_list": ["cfc halons", "", "co2", "cfc", ""],
            "montreal": ["ozone", "forests", "ozone", "ozone", ""],
            "seen": ["never", "often", "rarely", "never", "never"],
        }
    )
    result = analyze(small_form, answers, by="cluster", language="vi")
    html = render_html(small_form, result, language="vi")
    pdf = tmp_path_factory.mktemp("report") / "report-vi.pdf"
    pdf.write_bytes(HTML(string=html).write_pdf())
    return html, pdf


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} (poppler-utils) is needed"
    return path


def test_the_patrol_sample_falls_short_where_the_report_says(patrol_form, kobo_table):
    result = analyze(patrol_form, kobo_table.answers)
    shortfalls = sample_shortfalls(PATROL_SAMPLE_PLAN, result, patrol_form, "en")
    by_kind = {(s.kind, s.subject): s.message for s in shortfalls}
    assert by_kind[("size", "")] == ("The sample has 33 respondents, fewer than the 42 planned.")
    assert by_kind[("site_missing", "lao_bao")] == "Lao Bao is not represented (no respondent)."
    assert (
        "Dien Bien has 30.3 % of the respondents (10), over the 25 % maximum." in by_kind.values()
    )
    assert ("agency_under", "border_army") in by_kind
    assert ("agency_under", "customs") in by_kind
    assert ("agency_under", "provincial_police") not in by_kind


def test_a_sample_that_meets_its_plan_has_no_shortfall(patrol_form, kobo_table):
    result = analyze(patrol_form, kobo_table.answers)
    lenient = SamplePlan(sites=("dien_bien", "moc_bai"), min_share=5, max_share=50)
    assert sample_shortfalls(lenient, result, patrol_form) == []


def test_the_english_report_has_every_section_and_question(patrol_form, kobo_table):
    result = analyze(patrol_form, kobo_table.answers, by="cluster")
    html = render_html(patrol_form, result, language="en", options=ReportOptions(charts=False))
    for heading in (
        "Summary of main findings",
        "Sample statistics",
        "Limitations of the sample",
        "Findings by theme",
        "Findings by cluster",
        "Annex I: questions and answers",
        "Cluster annex",
    ):
        assert f">{heading}</h2>" in html
    assert "Lao Bao is not represented" in html
    for name in result["questions"]:
        assert f"({name}; n = " in html
    # the training grid ranked: investigation and intelligence (69.7 %) lead
    ranking = re.findall(
        r'<td class="num">(\d+)</td><td>([^<]+)</td><td class="num">([\d.]+) %', html
    )
    assert ranking[:2] == [
        ("1", "Transnational crime investigation", "69.7"),
        ("2", "Transnational crime intelligence collection and analysis", "69.7"),
    ]
    assert "data:image/png" not in html


def test_every_closed_question_gets_a_bar_chart(patrol_form, kobo_table, monkeypatch):
    drawn: list[tuple[str, str]] = []

    def fake(kind: str) -> Callable[..., str]:
        def draw(title: str, labels: list[str], values: list[float]) -> str:
            drawn.append((kind, title))
            return f"data:image/png;base64,{kind}"

        return draw

    monkeypatch.setattr(report, "bar_chart", fake("bar"))
    monkeypatch.setattr(report, "pie_chart", fake("pie"))
    result = analyze(patrol_form, kobo_table.answers, language="vi")
    html = render_html(patrol_form, result, language="vi")
    closed = [
        q.name
        for q in patrol_form.questions
        if q.type in (SELECT_ONE, SELECT_MULTIPLE, CALCULATE) and q.theme not in (None, "profile")
    ]
    assert [kind for kind, _title in drawn].count("pie") == 1
    assert drawn[0][1] == "Người tham gia theo cơ quan"  # the pie title, in Vietnamese
    bar_titles = [title for kind, title in drawn if kind == "bar"]
    assert len(bar_titles) == len(closed) + 2  # and the BLO and years-at-the-border bars
    assert "Đào tạo tin học (n = 32)" in bar_titles
    assert html.count('src="data:image/png;base64,') == len(drawn)


def test_charts_are_png_images():
    import base64

    for uri in (
        bar_chart("Cần được đào tạo", ["Có", "Không"], [75.0, 25.0]),
        pie_chart("Participants by agency", ["Công an tỉnh", "Hải quan"], [13.0, 5.0]),
    ):
        prefix, data = uri.split(",", 1)
        assert prefix == "data:image/png;base64"
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n")


@pytest.mark.parametrize(
    ("title", "labels"),
    [
        ("ការបណ្តុះបណ្តាល", ["ប៉ូលីស", "គយ"]),
        ("ການຝຶກອົບຮົມ", ["ຕຳຫຼວດ", "ພາສີ"]),
        ("การฝึกอบรม", ["ตำรวจ", "ศุลกากร"]),
        ("培训需求", ["公安", "海关"]),
    ],
    ids=["km", "lo", "th", "zh"],
)
def test_charts_draw_every_interface_script_with_a_font_that_has_it(title, labels):
    """Matplotlib falls back, character by character, from DejaVu Sans to the Noto font of
    the script: no glyph is drawn as an empty box (Matplotlib warns of each one it lacks)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bar_chart(title, labels, [60.0, 40.0])
        pie_chart(title, labels, [6.0, 4.0])
    assert not [
        str(warning.message) for warning in caught if "missing from font" in str(warning.message)
    ]


def test_the_vietnamese_pdf_renders_its_text_and_charts(vietnamese_pdf):
    html, pdf = vietnamese_pdf
    text = subprocess.run(  # noqa: S603 - fixed arguments of the test
        [_tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for phrase in (
        "Tóm tắt các phát hiện chính",
        "Phụ lục I: câu hỏi và câu trả lời",
        "Bộ đội Biên phòng",
        "Chất nào là ODS?",
        "Khí cacbonic",
        "Tầng ô-dôn",
    ):
        assert phrase in text, phrase
    charts = html.count('src="data:image/png;base64,')
    assert charts >= 5
    listing = subprocess.run(  # noqa: S603 - fixed arguments of the test
        [_tool("pdfimages"), "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    images = [line for line in listing if line.split()[2] == "image"]
    assert len(images) == charts
    fonts = subprocess.run(  # noqa: S603 - fixed arguments of the test
        [_tool("pdffonts"), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "DejaVu" in fonts


def test_a_comparison_report_renders(patrol_form, kobo_table):
    half = kobo_table.answers.iloc[:16]
    rest = kobo_table.answers.iloc[16:]
    html = render_comparison_html(patrol_form, compare(patrol_form, half, rest), language="en")
    assert "Knowledge scores by theme" in html
    assert "Transnational crime investigation" in html
