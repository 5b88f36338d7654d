"""The 33 respondents of the PATROL Viet Nam survey, rebuilt from the report's published figures.

The report gives marginals, not respondents; this module builds a respondent-level dataset that
reproduces every figure the test suite checks to the printed decimal, and is plausible for the
rest (the headline percentages of the report's text, within rounding).

How the numbers fit together:

* agencies 13/5/5/8/2 (39.4/15.2/15.2/24.2/6.1 %);
* clusters follow the BLO, not the workshop: the Dien Bien workshop had 17 participants and the
  Moc Bai one 16, but Table 1 counts CL1 n=16 and CL2 n=17. The one consistent reading is that a
  southern-cluster officer (here: the last Long Binh respondent) filled the questionnaire in
  Dien Bien; so CL1 = Dien Bien 10 + Moc Chau 3 + Cau Treo 3 = 16 and CL2 = Moc Bai 9 +
  Song Tien 4 + Long Binh 4 = 17, and the two workshop towns' own BLOs give 19 of 33 (the
  report's "57 %"). Lao Bao could not attend and has no respondent;
* Table 1 (cross-border meetings) per cluster; Table 2 (question 5.9) with 31 answers for field
  border patrolling and 32 for TOC awareness and computer training (missing answers leave the
  denominator); Table 3 (question 5.10) 1/4/19/9.

Run ``uv run python -m liaison.surveys.tests.patrol_fixture`` to rewrite the two exports in
``data/``: a KoboToolbox export (``;``, every field quoted, XML headers with group paths, select
multiples as the space-separated column and one 1/0 column per option) and an ODK Central export
(``,``, ``-`` between groups, ``SubmissionDate`` … ``KEY``).
"""

from __future__ import annotations

import csv
import io
import random
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
KOBO_PATH = DATA_DIR / "patrol_tna_kobo.csv"
ODK_PATH = DATA_DIR / "patrol_tna_odk_central.csv"
FORM_PATH = Path(__file__).resolve().parents[1] / "forms" / "patrol_tna.xlsx"

RESPONDENTS = 33
CL1 = list(range(16))
CL2 = list(range(16, 33))
EVERYONE = list(range(RESPONDENTS))

# The report's published figures, as the tests check them.
AGENCY_PERCENT = {
    "provincial_police": "39.4",
    "border_army": "15.2",
    "customs": "15.2",
    "anti_narcotics": "24.2",
    "other": "6.1",
}
TABLE_1 = {  # meet_crossborder by cluster
    "CL1": {
        "once_a_year": "31.3",
        "times_2_5": "43.8",
        "times_6_9": "0.0",
        "times_10_12": "6.3",
        "more_than_12": "0.0",
        "no_regular": "18.8",
    },
    "CL2": {
        "once_a_year": "17.6",
        "times_2_5": "23.5",
        "times_6_9": "0.0",
        "times_10_12": "0.0",
        "more_than_12": "0.0",
        "no_regular": "58.8",
    },
}
TABLE_1_N = {"CL1": 16, "CL2": 17}
TABLE_2 = {  # not needed for my position / already trained / more advanced / require training
    "tr_investigation": ("6.1", "0.0", "24.2", "69.7"),
    "tr_checkpoint": ("30.3", "6.1", "18.2", "45.5"),
    "tr_intelligence": ("12.1", "0.0", "18.2", "69.7"),
    "tr_patrolling": ("35.5", "9.7", "12.9", "41.9"),
    "tr_awareness": ("3.1", "9.4", "25.0", "62.5"),
    "tr_computer": ("6.3", "3.1", "34.4", "56.3"),
}
TABLE_2_N = {
    "tr_investigation": 33,
    "tr_checkpoint": 33,
    "tr_intelligence": 33,
    "tr_patrolling": 31,
    "tr_awareness": 32,
    "tr_computer": 32,
}
TABLE_2_COUNTS = {
    "tr_investigation": (2, 0, 8, 23),
    "tr_checkpoint": (10, 2, 6, 15),
    "tr_intelligence": (4, 0, 6, 23),
    "tr_patrolling": (11, 3, 4, 13),
    "tr_awareness": (1, 3, 8, 20),
    "tr_computer": (2, 1, 11, 18),
}
TRAINING_NEED_CHOICES = (
    "not_needed_position",
    "already_trained",
    "more_advanced",
    "require_training",
)
TABLE_3 = {
    "let_pass_respectable": "3.0",
    "let_pass_warn": "12.1",
    "inspect_then_decide": "57.6",
    "refuse": "27.3",
}

Respondent = dict[str, str]


class _Builder:
    def __init__(self) -> None:
        self.rng = random.Random(20100818)  # a reproducible fixture, not a secret
        self.rows: list[Respondent] = [{} for _ in range(RESPONDENTS)]

    def one(
        self,
        name: str,
        counts: Mapping[str, int],
        among: Sequence[int] = EVERYONE,
    ) -> None:
        """Give ``counts[value]`` of the respondents ``among`` each value; the rest no answer."""
        if sum(counts.values()) > len(among):
            raise ValueError(f"{name}: {sum(counts.values())} answers for {len(among)} people")
        order = list(among)
        self.rng.shuffle(order)
        position = 0
        for value, count in counts.items():
            for index in order[position : position + count]:
                self.rows[index][name] = value
            position += count

    def where(self, name: str, value: str, among: Sequence[int] = EVERYONE) -> list[int]:
        return [index for index in among if self.rows[index].get(name) == value]

    def many(
        self,
        name: str,
        counts: Mapping[str, int],
        among: Sequence[int],
        options: Sequence[str],
    ) -> None:
        """A select_multiple: option ``o`` ticked by ``counts[o]`` of ``among``, nobody empty."""
        ticked: dict[int, set[str]] = {index: set() for index in among}
        for option, count in sorted(counts.items(), key=lambda item: -item[1]):
            empty = [index for index in among if not ticked[index]]
            others = [index for index in among if ticked[index]]
            self.rng.shuffle(empty)
            self.rng.shuffle(others)
            for index in (empty + others)[:count]:
                ticked[index].add(option)
        for index, chosen in ticked.items():
            if not chosen:
                raise ValueError(f"{name}: respondent {index} ticked nothing")
            self.rows[index][name] = " ".join(option for option in options if option in chosen)


def respondents() -> list[Respondent]:
    """The 33 respondents, answers by question name (select_multiple space-separated)."""
    b = _Builder()
    blos = ["dien_bien"] * 10 + ["moc_chau"] * 3 + ["cau_treo"] * 3
    blos += ["moc_bai"] * 9 + ["song_tien"] * 4 + ["long_binh"] * 4
    for index, blo in enumerate(blos):
        b.rows[index]["blo"] = blo
        b.rows[index]["cluster"] = "CL1" if index < 16 else "CL2"
    agencies = {"provincial_police": 6, "border_army": 3, "customs": 2, "anti_narcotics": 4}
    b.one("agency", {**agencies, "other": 1}, CL1)
    b.one(
        "agency",
        {"provincial_police": 7, "border_army": 2, "customs": 3, "anti_narcotics": 4, "other": 1},
        CL2,
    )
    others = b.where("agency", "other")
    b.rows[others[0]]["agency_other"] = "Cảnh sát khu vực"
    b.rows[others[1]]["agency_other"] = "Ủy ban nhân dân xã"
    years = [0] * 4 + [1, 2] * 5 + [2] + [3, 4, 5, 6] + list(range(7, 21))
    b.rng.shuffle(years)
    for index, value in enumerate(years):
        b.rows[index]["years_border"] = str(value)
        b.rows[index]["years_band"] = (
            "lt1" if value < 1 else "y1_3" if value < 3 else "y3_7" if value < 7 else "gt7"
        )

    # 1. migrant smuggling and human trafficking
    b.one("dealt_smuggling", {"yes": 4, "no": 29})
    b.one("dealt_trafficking", {"yes": 10, "no": 23})
    b.one("criminalized", {"yes": 31, "dont_know": 2})
    b.one("trained_hs", {"yes": 17, "no": 16})
    b.one("scenario_1", {"smuggling": 26, "trafficking": 3, "neither": 1, "dont_know": 3})
    b.one("scenario_2", {"trafficking": 24, "smuggling": 5, "dont_know": 4})
    b.one("scenario_3", {"trafficking": 8, "smuggling": 17, "neither": 2, "dont_know": 6})
    b.one("migrant_help", {"with_smugglers": 24, "on_their_own": 6, "dont_know": 3})
    b.one(
        "migrant_crossing",
        {"unofficial": 20, "international_checkpoint": 4, "local_checkpoint": 5, "not_sure": 2},
    )
    b.many(
        "trafficking_forms",
        {"women_sexual": 25, "forced_marriage": 12, "men_labour": 6, "children": 5},
        EVERYONE[:31],
        ("women_sexual", "forced_marriage", "men_labour", "children"),
    )
    b.one("migration_flow", {"origin": 9, "transit": 3, "destination": 1, "dont_know": 3}, CL1)
    b.one("migration_flow", {"origin": 5, "transit": 5, "destination": 2, "dont_know": 5}, CL2)
    b.one("trafficking_flow", {"origin": 13, "transit": 2, "dont_know": 1}, CL1)
    b.one("trafficking_flow", {"origin": 8, "transit": 5, "destination": 1, "dont_know": 3}, CL2)
    b.many(
        "hs_training_needs",
        {
            "detect_migrants": 14,
            "detect_victims": 14,
            "difference": 10,
            "legislation": 8,
            "documents": 9,
        },
        EVERYONE[2:32],
        ("detect_migrants", "detect_victims", "difference", "legislation", "documents"),
    )

    # 2. drugs and precursors
    b.one("dealt_drugs", {"yes": 26, "no": 7})
    b.one("dealt_precursors", {"yes": 16, "no": 17})
    precursor_options = (
        "ephedrine",
        "pseudoephedrine",
        "acetic_anhydride",
        "potassium_permanganate",
        "safrole",
        "cocaine",
        "cannabis",
        "morphine",
        "methamphetamine",
    )
    correct_set = " ".join(precursor_options[:5])
    for index in (3, 19, 27):
        b.rows[index]["precursors"] = correct_set  # the few who got it exactly right
    b.many(
        "precursors",
        {
            "ephedrine": 17,
            "pseudoephedrine": 11,
            "acetic_anhydride": 9,
            "potassium_permanganate": 7,
            "safrole": 3,
            "cocaine": 8,
            "cannabis": 7,
            "morphine": 9,
            "methamphetamine": 11,
        },
        [index for index in EVERYONE[:30] if index not in (3, 19, 27)],
        precursor_options,
    )
    b.one("trained_drugs", {"yes": 28, "no": 5})
    b.one("trained_precursors", {"yes": 2, "no": 31})
    b.one("trained_drug_law", {"yes": 9, "no": 24})
    b.one("penal_code", {"art_194": 26, "art_153": 2, "art_119": 1, "dont_know": 1})
    drug_options = (
        "heroin",
        "opium",
        "amphetamine_pills",
        "crystal_meth",
        "cannabis",
        "ecstasy",
        "ketamine",
    )
    b.many(
        "drugs_trafficked",
        {
            "heroin": 13,
            "amphetamine_pills": 12,
            "crystal_meth": 7,
            "opium": 8,
            "cannabis": 3,
            "ecstasy": 2,
            "ketamine": 1,
        },
        CL1,
        drug_options,
    )
    b.many(
        "drugs_trafficked",
        {
            "heroin": 13,
            "amphetamine_pills": 12,
            "crystal_meth": 8,
            "opium": 2,
            "cannabis": 7,
            "ecstasy": 3,
            "ketamine": 2,
        },
        CL2[:16],
        drug_options,
    )
    b.one("drugs_flow", {"transit": 9, "destination": 7}, CL1)
    b.one("drugs_flow", {"destination": 6, "transit": 5, "dont_know": 2}, CL2)
    b.many(
        "drug_training_needs",
        {"drug_id": 22, "search": 18, "precursor_id": 15, "profiling": 9, "legislation": 8},
        EVERYONE[1:],
        ("drug_id", "search", "precursor_id", "profiling", "legislation"),
    )

    # 3. wildlife and timber
    b.one("dealt_wildlife", {"yes": 9, "no": 7}, CL1)
    b.one("dealt_wildlife", {"yes": 5, "no": 12}, CL2)
    b.one(
        "wildlife_definition",
        {"all_trade": 23, "live_only": 3, "endangered_only": 3, "dont_know": 2},
    )
    b.one("heard_cites", {"no": 17, "yes": 15})
    b.one(
        "cites_what",
        {"convention": 6, "tariff": 3, "asean_wen": 4, "dont_know": 2},
        b.where("heard_cites", "yes"),
    )
    b.one("cites_permit", {"yes": 26, "no": 2, "dont_know": 4})
    b.one("timber_permit", {"yes": 24, "no": 3, "dont_know": 5})
    species = (
        "snakes",
        "turtles",
        "monitor_lizards",
        "pangolins",
        "bears",
        "tigers",
        "orchids",
        "birds",
    )
    b.many(
        "wildlife_species",
        {
            "snakes": 12,
            "turtles": 11,
            "monitor_lizards": 9,
            "pangolins": 9,
            "bears": 6,
            "tigers": 4,
            "orchids": 5,
            "birds": 3,
        },
        CL1,
        species,
    )
    b.many(
        "wildlife_species",
        {
            "snakes": 13,
            "turtles": 12,
            "monitor_lizards": 10,
            "pangolins": 4,
            "bears": 1,
            "tigers": 1,
            "orchids": 1,
            "birds": 5,
        },
        CL2,
        species,
    )
    b.one("wildlife_seen", {"never": 13, "rarely": 15, "sometimes": 4, "often": 1})
    concealment = ("vehicles", "body", "luggage", "boats", "unofficial")
    b.many(
        "wildlife_concealment",
        {"body": 11, "vehicles": 7, "luggage": 3, "boats": 1, "unofficial": 8},
        CL1,
        concealment,
    )
    b.many(
        "wildlife_concealment",
        {"vehicles": 12, "body": 5, "luggage": 4, "boats": 6, "unofficial": 6},
        CL2,
        concealment,
    )
    b.many(
        "wildlife_authority",
        {"env_police": 20, "mard": 12, "forest_protection": 19, "customs": 10},
        EVERYONE[:31],
        ("env_police", "mard", "forest_protection", "customs"),
    )
    b.many(
        "wildlife_training_needs",
        {"detection": 20, "species_id": 18, "timber_id": 10, "cites_permits": 9, "live_animals": 5},
        EVERYONE[2:],
        ("detection", "species_id", "timber_id", "cites_permits", "live_animals"),
    )

    # 4. ODS and hazardous waste
    b.one("knows_waste", {"yes": 22, "no": 11})
    b.many(
        "waste_types",
        {"lead_batteries": 7, "e_waste": 6, "medical": 5, "used_oil": 6, "plastic_scrap": 9},
        b.where("knows_waste", "yes"),
        ("lead_batteries", "e_waste", "medical", "used_oil", "plastic_scrap"),
    )
    b.one("knows_ods", {"yes": 17, "no": 16})
    b.many(
        "ods_substances",
        {"cfc": 14, "hcfc22": 6, "halons": 5, "methyl_bromide": 4, "co2": 8, "lpg": 7},
        b.where("knows_ods", "yes"),
        ("cfc", "hcfc22", "halons", "methyl_bromide", "co2", "lpg"),
    )
    b.one("knows_basel", {"yes": 8, "no": 25})
    b.one("knows_montreal", {"yes": 6, "no": 27})
    b.one("shipment_action", {"detain": 28, "let_pass": 1, "send_back": 3, "dont_know": 1})
    b.one(
        "shipment_followup",
        {"contact_authorities": 25, "destroy": 1, "release_after_fine": 1, "dont_know": 1},
        b.where("shipment_action", "detain"),
    )
    b.one("waste_seen", {"never": 27, "rarely": 4, "sometimes": 2})
    b.one("ods_seen", {"never": 31, "rarely": 2})
    b.one("trained_ods", {"no": 23, "yes": 10})
    b.many(
        "ods_training_needs",
        {"identification": 25, "international_law": 18, "national_law": 16, "sampling": 7},
        EVERYONE[:31],
        ("identification", "international_law", "national_law", "sampling"),
    )

    # 5. operations, training and integrity
    b.one(
        "meet_crossborder",
        {"once_a_year": 5, "times_2_5": 7, "times_10_12": 1, "no_regular": 3},
        CL1,
    )
    b.one("meet_crossborder", {"once_a_year": 3, "times_2_5": 4, "no_regular": 10}, CL2)
    b.one(
        "meet_district",
        {"once_a_year": 3, "times_2_5": 6, "times_6_9": 1, "times_10_12": 2, "no_regular": 4},
        CL1,
    )
    b.one("meet_district", {"once_a_year": 2, "times_2_5": 5, "no_regular": 10}, CL2)
    b.one("meet_national", {"once_a_year": 12, "times_2_5": 5, "no_regular": 14})
    b.one(
        "main_threat",
        {"drugs": 22, "human_trafficking": 6, "wildlife": 3, "migrant_smuggling": 1, "goods": 1},
    )
    b.many(
        "equipment_needed",
        {
            "forensic_kits": 24,
            "database": 21,
            "vehicles": 20,
            "radios": 12,
            "computers": 10,
            "scanners": 9,
            "night_vision": 7,
        },
        EVERYONE[1:],
        (
            "forensic_kits",
            "database",
            "vehicles",
            "radios",
            "computers",
            "scanners",
            "night_vision",
        ),
    )
    b.one("cbt_use", {"never": 8, "rarely": 12, "sometimes": 9, "often": 4})
    for name, counts in TABLE_2_COUNTS.items():
        b.one(name, dict(zip(TRAINING_NEED_CHOICES, counts, strict=True)), EVERYONE)
    b.one(
        "integrity",
        {"let_pass_respectable": 1, "let_pass_warn": 4, "inspect_then_decide": 19, "refuse": 9},
    )
    b.one(
        "integrity_followup",
        {"right_thing": 13, "report": 5, "talk": 4, "dont_know": 2},
        [index for index in EVERYONE if b.rows[index]["integrity"] != "refuse"],
    )
    b.one("presents_regulation", {"no": 16, "yes": 17})
    b.one("presents_training", {"no": 25, "yes": 8})
    for index, comment in (
        (2, "Cần thêm lớp học về nhận dạng ma túy tổng hợp."),
        (9, "Đề nghị tổ chức học tiếng Lào cho cán bộ BLO."),
        (17, "Cần trang bị máy tính và bộ thử ma túy; hiện nay còn thiếu."),
        (24, "Mong được tham quan, học tập BLO của các nước khác."),
        (30, "Máy CBT ít được sử dụng vì thiếu thời gian."),
    ):
        b.rows[index]["comments"] = comment
    return b.rows


def _instance_id(index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://liaison.example/patrol-tna-vn/{index}"))


def _submission_time(index: int) -> str:
    hour, minute = 9 + index // 12, (index * 7) % 60
    return f"2010-08-18T{hour:02d}:{minute:02d}:00"


def _form_columns() -> list[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    """(name, group path, type, option names) of every exported question, in form order."""
    from liaison.surveys.xlsform import NOTE, load_form

    form = load_form(FORM_PATH)
    return [
        (q.name, q.group_path, q.type, q.choice_names)
        for q in form.questions
        if q.type != NOTE and not q.is_metadata
    ]


def kobo_csv(rows: Iterable[Respondent]) -> str:
    """The KoboToolbox export: ``;``, all quoted, group paths, select multiples both ways."""
    columns = _form_columns()
    header: list[str] = []
    for name, groups, kind, options in columns:
        path = "/".join((*groups, name))
        header.append(path)
        if kind == "select_multiple":
            header.extend(f"{path}/{option}" for option in options)
    metadata = [
        "__version__",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "_tags",
        "_index",
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header + metadata)
    for index, row in enumerate(rows):
        values: list[str] = []
        for name, _groups, kind, options in columns:
            value = row.get(name, "")
            values.append(value)
            if kind == "select_multiple":
                ticked = set(value.split())
                values.extend(
                    ("1" if option in ticked else "0") if value else "" for option in options
                )
        values += [
            "vQf8sPa2JkLm3nWx7yZ",
            str(4_100_000 + index),
            _instance_id(index),
            _submission_time(index),
            "validation_status_approved",
            "",
            "submitted_via_web",
            "patrol_vn",
            "",
            str(index + 1),
        ]
        writer.writerow(values)
    return out.getvalue()


def odk_central_csv(rows: Iterable[Respondent]) -> str:
    """The ODK Central export: ``,``, ``-`` between groups, Central's metadata columns."""
    columns = _form_columns()
    header = ["SubmissionDate"] + ["-".join((*groups, name)) for name, groups, *_ in columns]
    header += [
        "meta-instanceID",
        "KEY",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
    ]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=",", lineterminator="\n")
    writer.writerow(header)
    for index, row in enumerate(rows):
        instance_id = f"uuid:{_instance_id(index)}"
        submitter = "dienbien_workshop" if index < 16 or index == 32 else "mocbai_workshop"
        writer.writerow(
            [f"{_submission_time(index)}.000Z"]
            + [row.get(name, "") for name, *_ in columns]
            + [
                instance_id,
                instance_id,
                "7" if submitter.startswith("dien") else "8",
                submitter,
                "0",
                "0",
                "",
                "approved",
                f"collect:{index:04d}",
                "0",
                "2010-08",
            ]
        )
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DATA_DIR
    target.mkdir(parents=True, exist_ok=True)
    rows = respondents()
    (target / KOBO_PATH.name).write_text(kobo_csv(rows), encoding="utf-8")
    (target / ODK_PATH.name).write_text(odk_central_csv(rows), encoding="utf-8")
    print(target / KOBO_PATH.name)
    print(target / ODK_PATH.name)


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    django.setup()
    main()
