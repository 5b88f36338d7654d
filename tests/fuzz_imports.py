"""Fuzzing every import with generated and mutated files: seizure CSV and XLSX, registry CSV and
XLSX, survey CSV exports and training-content zips.

Each file goes through the import as the page calls it. What must hold for every file:

* it is imported, or refused with the import's own error (a message for the page), never
  anything else (which the page would turn into a server error);
* a refused file writes nothing: the counts of every table the import writes are unchanged;
* it is read in bounded time (the upload limit's time plus a margin).

The suite runs a short round (``tests/test_fuzz_imports.py``); the long one is the same test
with more examples per import, printing the number of files tried::

    LIAISON_FUZZ_EXAMPLES=1000 ./run tests -n 0 -s tests/test_fuzz_imports.py
"""

from __future__ import annotations

import io
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaison.tabular import LIMITS

EXAMPLES = int(os.environ.get("LIAISON_FUZZ_EXAMPLES", "60"))
"""Files per import (six imports)."""

SECONDS_PER_FILE = LIMITS.seconds + 10

SPECIAL_CELLS = [
    "",
    " ",
    "NaN",
    "nan",
    "sNaN",
    "inf",
    "-Infinity",
    "1e400",
    "-1e-400",
    "9" * 60,
    "1_000",
    "0x10",
    "01/01/0001",
    "0001-01-01",
    "9999-12-31 23:59",
    "31/02/2026",
    "2026-03-14T25:61",
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "'=quoted",
    "\t",
    "\r",
    "\n",
    '"',
    '""',
    ";",
    ",",
    "\x00",
    "\ud800",
    "\ufeff",
    "Việt Nam",
    "ກ",
    "ក",
    "x" * 40_000,
    "y" * 140_000,
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "KH-BAVET",
    "VN-MOCBAI",
    "species:manis-javanica",
    "drug:heroin",
    "kg",
    "wildlife",
    "entry",
    "international_checkpoint",
    "RED",
    "counterpart",
    "uuid:" + "a" * 200,
]

cells = st.one_of(
    st.sampled_from(SPECIAL_CELLS),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.dates().map(str),
)


def _encode(text: str, how: str) -> bytes:
    if how == "utf-16":
        return text.encode("utf-16", errors="surrogatepass")
    if how == "cp1258":
        return text.encode("cp1258", errors="replace")
    return text.encode("utf-8-sig" if how == "utf-8-sig" else "utf-8", errors="surrogatepass")


@st.composite
def csv_files(draw: st.DrawFn, header: list[str]) -> bytes:
    """A table under the import's header (or a damaged one), in one of the encodings met."""
    columns = draw(
        st.one_of(
            st.just(header),
            st.lists(st.sampled_from(header), min_size=1, max_size=len(header) + 2),
            st.lists(cells, max_size=6),
        )
    )
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(columns) + 2), max_size=8))
    quote = draw(st.booleans())

    def line(values: list[str]) -> str:
        if quote:
            return delimiter.join('"' + v.replace('"', '""') + '"' for v in values)
        return delimiter.join(values)

    text = "\r\n".join([line(columns), *(line(r) for r in rows)])
    if draw(st.booleans()):
        text += "\r\n" * draw(st.sampled_from([1, 5, LIMITS.rows + 1]))
    return _encode(text, draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258"])))


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed file with a few byte-level changes (flip, insert, delete, repeat, truncate)."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not data:
            break
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        operation = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "truncate"]))
        if operation == "flip":
            data[position] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif operation == "insert":
            payload = draw(
                st.one_of(
                    st.binary(max_size=16),
                    st.sampled_from(SPECIAL_CELLS).map(
                        lambda s: s.encode("utf-8", "surrogatepass")
                    ),
                )
            )
            data[position:position] = payload
        elif operation == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=64))]
        elif operation == "repeat":
            chunk = data[position : position + draw(st.integers(min_value=1, max_value=256))]
            data[position:position] = chunk * draw(st.integers(min_value=1, max_value=50))
        else:
            del data[position:]
    return bytes(data)


@st.composite
def mutated_zip(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed zip with one member's content mutated, or its sizes lying, or the bytes changed."""
    kind = draw(st.sampled_from(["member", "member", "header", "bytes"]))
    if kind == "bytes":
        return draw(mutated(seed))
    source = zipfile.ZipFile(io.BytesIO(seed))
    members = [i for i in source.infolist() if not i.is_dir()]
    target = draw(st.sampled_from(members))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == target.filename and kind == "member":
                content = draw(mutated(content)) if content else content
            archive.writestr(info.filename, content)
    raw = bytearray(out.getvalue())
    if kind == "header":
        # The central directory entry of the chosen member claims another uncompressed size.
        start = 0
        for _ in range(source.infolist().index(target) + 1):
            start = raw.find(b"PK\x01\x02", start + 1)
        claimed = draw(st.integers(min_value=0, max_value=2**32 - 1))
        raw[start + 24 : start + 28] = claimed.to_bytes(4, "little")
    return bytes(raw)


@st.composite
def workbooks(draw: st.DrawFn, header: list[str], sheet: str) -> bytes:
    """A workbook written by openpyxl with generated cells of every type it stores."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    worksheet = book.active
    assert worksheet is not None
    worksheet.title = draw(st.sampled_from([sheet, sheet.upper(), "Sheet1"]))
    illegal = openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE

    def storable(value: Any) -> Any:
        # What openpyxl can write: no control characters, no lone surrogates, text as text.
        if not isinstance(value, str):
            return value
        value = illegal.sub("", value).encode("utf-8", "ignore").decode("utf-8")
        return f"'{value}" if value.startswith("=") else value

    first = header if draw(st.booleans()) else draw(st.lists(cells, max_size=8))
    worksheet.append([storable(v) for v in first])
    values = st.one_of(
        cells,
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.datetimes(
            min_value=datetime.datetime(1900, 3, 1),  # noqa: DTZ001 - Excel stores naive times
            max_value=datetime.datetime(9999, 1, 1),  # noqa: DTZ001
        ),
        st.none(),
        st.booleans(),
    )
    for row in draw(st.lists(st.lists(values, max_size=len(header) + 2), max_size=6)):
        worksheet.append([storable(v) for v in row])
    if draw(st.booleans()):
        worksheet.cell(
            row=draw(st.integers(min_value=1, max_value=1_048_576)),
            column=draw(st.integers(min_value=1, max_value=16_384)),
            value="far",
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@dataclass
class Target:
    """One import: how to run a file through it, what refusal looks like, what it writes."""

    name: str
    files: st.SearchStrategy[tuple[str, bytes]]
    run: Callable[[bytes, str], Any]
    refusals: tuple[type[BaseException], ...]
    counts: Callable[[], tuple[object, ...]]
    tried: int = 0
    imported: int = 0
    refused: int = 0
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)

    def check(self, filename: str, raw: bytes) -> None:
        before = self.counts()
        started = time.monotonic()
        self.tried += 1
        try:
            self.run(raw, filename)
        except self.refusals as refusal:
            self.refused += 1
            if os.environ.get("LIAISON_FUZZ_VERBOSE"):
                print(f"{self.name}: {filename} refused: {str(refusal)[:160]!r}")
            after = self.counts()
            if after != before:
                self.failures.append(
                    f"{self.name}: {filename} refused ({refusal}) but wrote rows: {before} → {after}"
                )
        except Exception as error:  # the page would answer this with a server error
            self.failures.append(f"{self.name}: {filename} raised {error!r}")
            raise
        else:
            self.imported += 1
        elapsed = time.monotonic() - started
        self.slowest = max(self.slowest, elapsed)
        if elapsed > SECONDS_PER_FILE:
            self.failures.append(f"{self.name}: {filename} took {elapsed:.1f} s")

    def fuzz(self, examples: int) -> None:
        @given(file=self.files)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def one(file: tuple[str, bytes]) -> None:
            self.check(*file)

        one()

    def summary(self) -> str:
        return (
            f"{self.name}: {self.tried} files ({self.imported} imported, {self.refused} refused), "
            f"slowest {self.slowest:.2f} s"
        )


def _zip_folder(folder: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return out.getvalue()


def targets(world: Any) -> list[Target]:
    """The six imports, seeded with files each of them accepts."""
    from django.core.exceptions import PermissionDenied

    from liaison.exchange.imports import COLUMNS, import_seizures
    from liaison.exchange.models import Incident, SeizureItem
    from liaison.registry.models import BLO, Agency, Country, Crossing
    from liaison.registry.services import do_import_registry
    from liaison.registry.transfer import SHEETS, RegistryImportError, export_csv, export_xlsx
    from liaison.surveys.imports import ExportError
    from liaison.surveys.models import Submission
    from liaison.surveys.services import do_import_export
    from liaison.surveys.tests import patrol_fixture
    from liaison.surveys.tests.rounds import patrol_round
    from liaison.tabular import TableError
    from liaison.training.content import ContentError, extract_package
    from liaison.training.demo import CONTENT_DIR
    from liaison.training.models import TrainingModule
    from liaison.training.services import do_import_content
    from tests.crafted_files import workbook

    seizure_csv = (
        "case;occurred_at;location;direction;crime_area;commodity;quantity;unit;origin_country\r\n"
        "A1;14/03/2026 08:30;international_checkpoint;entry;wildlife;species:manis-javanica;12;kg;KH\r\n"
        "B2;2026-04-02;between_checkpoints;exit;drugs;drug:heroin;1,5;kg;\r\n"
    ).encode("utf-8-sig")
    seizure_xlsx = workbook(
        [
            ["occurred_at", "location", "direction", "crime_area", "commodity", "quantity", "unit"],
            [
                "2026-02-01 09:00",
                "local_checkpoint",
                "entry",
                "ods",
                "ods:hcfc-22",
                40,
                "cylinders",
            ],
        ]
    )

    def seizure_counts() -> tuple[object, ...]:
        return (Incident.objects.count(), SeizureItem.objects.count())

    def import_seizure_file(raw: bytes, filename: str) -> Any:
        return import_seizures(raw, filename, blo=world.moc_bai, actor=world.lan)

    registry_csvs = {table: export_csv(world.root, table) for table in SHEETS}
    registry_xlsx = export_xlsx(world.root)

    def registry_counts() -> tuple[object, ...]:
        return (
            Country.objects.count(),
            Agency.objects.count(),
            BLO.objects.count(),
            Crossing.objects.count(),
            sum(len(b.counterparts.all()) for b in BLO.objects.prefetch_related("counterparts")),
            tuple(BLO.objects.order_by("pk").values_list("country_id", "name_en")),
        )

    def import_registry_file(raw: bytes, filename: str) -> Any:
        # A national coordinator for tables (refusals of scope mid-file), the administrator for
        # workbooks (whole files written).
        actor = world.root if filename.endswith(".xlsx") else world.huong
        return do_import_registry(raw, filename, actor=actor)

    survey_round = patrol_round(world)
    survey_csv = patrol_fixture.KOBO_PATH.read_bytes()

    def survey_counts() -> tuple[object, ...]:
        return (Submission.objects.count(),)

    def import_survey_file(raw: bytes, filename: str) -> Any:
        return do_import_export(survey_round, raw, file_name=filename, actor=world.ainsley)

    content_zip = _zip_folder(CONTENT_DIR / "cites-basics")

    def content_counts() -> tuple[object, ...]:
        return (
            TrainingModule.objects.count(),
            tuple(TrainingModule.objects.order_by("pk").values_list("version", "fingerprint")),
        )

    def import_content_file(raw: bytes, filename: str) -> Any:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="liaison-fuzz-") as folder:
            root = extract_package(raw, filename, Path(folder))
            return do_import_content(root, actor=world.ainsley)

    seizure_header = COLUMNS
    blos_header = SHEETS["blos"]
    survey_header = survey_csv.split(b"\n", 1)[0].decode("utf-8-sig").split(";")
    survey_header = [h.strip('"') for h in survey_header]

    return [
        Target(
            "seizure CSV",
            st.tuples(
                st.just("seizures.csv"),
                st.one_of(mutated(seizure_csv), csv_files(seizure_header)),
            ),
            import_seizure_file,
            (TableError,),
            seizure_counts,
        ),
        Target(
            "seizure XLSX",
            st.tuples(
                st.just("seizures.xlsx"),
                st.one_of(mutated_zip(seizure_xlsx), workbooks(seizure_header, "seizures")),
            ),
            import_seizure_file,
            (TableError,),
            seizure_counts,
        ),
        Target(
            "registry CSV",
            st.sampled_from(list(SHEETS)).flatmap(
                lambda table: st.tuples(
                    st.just(f"{table}.csv"),
                    st.one_of(mutated(registry_csvs[table]), csv_files(SHEETS[table])),
                )
            ),
            import_registry_file,
            (RegistryImportError, PermissionDenied),
            registry_counts,
        ),
        Target(
            "registry XLSX",
            st.tuples(
                st.just("registry.xlsx"),
                st.one_of(mutated_zip(registry_xlsx), workbooks(blos_header, "blos")),
            ),
            import_registry_file,
            (RegistryImportError, PermissionDenied),
            registry_counts,
        ),
        Target(
            "survey CSV",
            st.tuples(
                st.just("patrol.csv"),
                st.one_of(mutated(survey_csv), csv_files(survey_header)),
            ),
            import_survey_file,
            (ExportError,),
            survey_counts,
        ),
        Target(
            "training zip",
            st.tuples(st.just("content.zip"), mutated_zip(content_zip)),
            import_content_file,
            (ContentError,),
            content_counts,
        ),
    ]
