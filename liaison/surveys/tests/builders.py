"""Builders for survey tests: small XLSForms and exports written the way the tools write them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from openpyxl import Workbook

from liaison.surveys.xlsform import Form, load_form

EN = "English (en)"
VI = "Vietnamese (vi)"

SURVEY_HEADER = [
    "type",
    "name",
    f"label::{EN}",
    f"label::{VI}",
    "relevant",
    "required",
    "constraint",
    f"constraint_message::{EN}",
    f"constraint_message::{VI}",
    "calculation",
    "appearance",
]
CHOICES_HEADER = ["list_name", "name", f"label::{EN}", f"label::{VI}", "correct"]

# A small questionnaire with a group per theme, a knowledge question of each kind, a relevant
# branch, a constraint, a calculation and a Likert question.
SMALL_SURVEY: list[dict[str, str]] = [
    {"type": "begin_group", "name": "profile", f"label::{EN}": "Profile", f"label::{VI}": "Hồ sơ"},
    {
        "type": "select_one agency",
        "name": "agency",
        f"label::{EN}": "Agency",
        f"label::{VI}": "Cơ quan",
        "required": "yes",
    },
    {
        "type": "integer",
        "name": "years",
        f"label::{EN}": "Years at the border",
        f"label::{VI}": "Số năm ở biên giới",
        "constraint": ". >= 0 and . <= 45",
        f"constraint_message::{EN}": "Between 0 and 45 years.",
        f"constraint_message::{VI}": "Từ 0 đến 45 năm.",
    },
    {"type": "end_group", "name": "profile"},
    {
        "type": "calculate",
        "name": "cluster",
        f"label::{EN}": "Cluster",
        "calculation": "if(${agency} = 'police', 'north', if(${agency} = '', '', 'south'))",
    },
    {"type": "begin_group", "name": "ods", f"label::{EN}": "ODS", f"label::{VI}": "ODS"},
    {
        "type": "select_one yes_no",
        "name": "knows_ods",
        f"label::{EN}": "Do you know what ODS are?",
        f"label::{VI}": "Anh/chị có biết ODS là gì không?",
    },
    {
        "type": "select_multiple ods",
        "name": "ods_list",
        f"label::{EN}": "Which are ODS?",
        f"label::{VI}": "Chất nào là ODS?",
        "relevant": "${knows_ods} = 'yes'",
        "required": "yes",
    },
    {
        "type": "select_one montreal",
        "name": "montreal",
        f"label::{EN}": "The Montreal Protocol protects",
        f"label::{VI}": "Nghị định thư Montreal bảo vệ",
    },
    {
        "type": "select_one frequency",
        "name": "seen",
        f"label::{EN}": "How often do you see ODS?",
        f"label::{VI}": "Anh/chị có thường thấy ODS không?",
        "appearance": "likert",
    },
    {"type": "end_group", "name": "ods"},
]
SMALL_CHOICES: list[dict[str, str]] = [
    {"list_name": "agency", "name": "police", f"label::{EN}": "Police", f"label::{VI}": "Công an"},
    {
        "list_name": "agency",
        "name": "customs",
        f"label::{EN}": "Customs",
        f"label::{VI}": "Hải quan",
    },
    {
        "list_name": "agency",
        "name": "army",
        f"label::{EN}": "Border Army",
        f"label::{VI}": "Bộ đội Biên phòng",
    },
    {"list_name": "yes_no", "name": "yes", f"label::{EN}": "Yes", f"label::{VI}": "Có"},
    {"list_name": "yes_no", "name": "no", f"label::{EN}": "No", f"label::{VI}": "Không"},
    {
        "list_name": "ods",
        "name": "cfc",
        f"label::{EN}": "CFCs",
        f"label::{VI}": "CFC",
        "correct": "1",
    },
    {
        "list_name": "ods",
        "name": "halons",
        f"label::{EN}": "Halons",
        f"label::{VI}": "Halon",
        "correct": "1",
    },
    {
        "list_name": "ods",
        "name": "co2",
        f"label::{EN}": "Carbon dioxide",
        f"label::{VI}": "Khí cacbonic",
        "correct": "0",
    },
    {
        "list_name": "ods",
        "name": "lpg",
        f"label::{EN}": "LPG",
        f"label::{VI}": "Khí hóa lỏng",
        "correct": "0",
    },
    {
        "list_name": "montreal",
        "name": "ozone",
        f"label::{EN}": "The ozone layer",
        f"label::{VI}": "Tầng ô-dôn",
        "correct": "1",
    },
    {
        "list_name": "montreal",
        "name": "forests",
        f"label::{EN}": "Forests",
        f"label::{VI}": "Rừng",
        "correct": "0",
    },
    {
        "list_name": "frequency",
        "name": "never",
        f"label::{EN}": "Never",
        f"label::{VI}": "Không bao giờ",
    },
    {
        "list_name": "frequency",
        "name": "rarely",
        f"label::{EN}": "Rarely",
        f"label::{VI}": "Hiếm khi",
    },
    {
        "list_name": "frequency",
        "name": "often",
        f"label::{EN}": "Often",
        f"label::{VI}": "Thường xuyên",
    },
]
SMALL_SETTINGS = [{"form_id": "small", "form_title": "Small form", "default_language": EN}]


def make_workbook(
    survey: Sequence[Mapping[str, str]] | None = SMALL_SURVEY,
    choices: Sequence[Mapping[str, str]] | None = SMALL_CHOICES,
    settings: Sequence[Mapping[str, str]] | None = SMALL_SETTINGS,
    *,
    survey_header: Sequence[str] = SURVEY_HEADER,
    choices_header: Sequence[str] = CHOICES_HEADER,
) -> bytes:
    """An .xlsx XLSForm; pass ``None`` to leave a sheet out."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, header, rows in (
        ("survey", survey_header, survey),
        ("choices", choices_header, choices),
        ("settings", list(settings[0]) if settings else [], settings),
    ):
        if rows is None:
            continue
        sheet = workbook.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append([row.get(column) or None for column in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_form(**kwargs: object) -> Form:
    return load_form(make_workbook(**kwargs), filename="small.xlsx")  # type: ignore[arg-type]


def kobo_export(
    rows: Iterable[Mapping[str, str]],
    columns: Sequence[str],
    *,
    metadata: bool = True,
    delimiter: str = ";",
) -> str:
    """A KoboToolbox-style CSV: every field quoted, ``_uuid`` … appended."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\n")
    extra = ["_id", "_uuid", "_submission_time", "_index"] if metadata else []
    writer.writerow([*columns, *extra])
    for index, row in enumerate(rows):
        values = [row.get(column, "") for column in columns]
        if metadata:
            values += [
                str(1000 + index),
                row.get("_uuid", f"00000000-0000-4000-8000-{index:012d}"),
                "2024-05-01T10:00:00",
                str(index + 1),
            ]
        writer.writerow(values)
    return out.getvalue()


def odk_export(rows: Iterable[Mapping[str, str]], columns: Sequence[str]) -> str:
    """An ODK Central-style CSV: ``SubmissionDate`` first, ``meta-instanceID`` and ``KEY``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["SubmissionDate", *columns, "meta-instanceID", "KEY", "SubmitterID", "ReviewState"]
    )
    for index, row in enumerate(rows):
        instance = f"uuid:00000000-0000-4000-8000-{index:012d}"
        writer.writerow(
            [
                "2024-05-01T03:00:00.000Z",
                *(row.get(c, "") for c in columns),
                instance,
                instance,
                "5",
                "",
            ]
        )
    return out.getvalue()
