import json
import re
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from liaison.audit.models import AuditEntry
from liaison.reference.models import (
    CitesAppendix,
    DrugType,
    GlossaryTerm,
    LegalAuthority,
    MontrealAnnex,
    OzoneSubstance,
    Precursor,
    ReferenceLoad,
    Source,
    Species,
    TimberSpecies,
    WasteCategory,
)
from liaison.reference.services import (
    DATA_DIR,
    ReferenceDataError,
    do_load_reference,
    ensure_reference_loaded,
)
from liaison.reference.vocabularies import VOCABULARIES


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(data_dir: Path, file_name: str, change: Callable[[Any], Any]) -> None:
    path = data_dir / file_name
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def _entry(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(e for e in document["entries"] if e["code"] == code)


def test_loader_loads_every_data_file(empty_library):
    report = do_load_reference()
    for vocabulary in VOCABULARIES:
        in_file = len(json.loads((DATA_DIR / vocabulary.data_file).read_text("utf-8"))["entries"])
        assert vocabulary.model._default_manager.filter(active=True).count() == in_file, (
            vocabulary.kind
        )
        assert report.counts[vocabulary.kind].created == in_file
    assert Source.objects.count() > 0


def test_every_entry_is_named_in_english_and_vietnamese_and_sourced(library):
    for vocabulary in VOCABULARIES:
        for entry in vocabulary.model._default_manager.select_related("source"):
            assert entry.name_en and entry.name_vi, entry.code
            assert entry.source.url.startswith("https://"), entry.code
            assert entry.source_detail, entry.code


def test_loading_twice_changes_nothing(empty_library):
    # given
    do_load_reference()
    before = {
        v.kind: list(
            v.model._default_manager.order_by("code").values_list(
                "code", "updated_at", "search_text"
            )
        )
        for v in VOCABULARIES
    }
    audit_entries = AuditEntry.objects.count()

    # when
    again = do_load_reference()

    # then
    assert again.changed == 0
    assert all(c.created == 0 and c.updated == 0 for c in again.counts.values())
    after = {
        v.kind: list(
            v.model._default_manager.order_by("code").values_list(
                "code", "updated_at", "search_text"
            )
        )
        for v in VOCABULARIES
    }
    assert after == before
    assert AuditEntry.objects.count() == audit_entries
    assert ReferenceLoad.objects.count() == 1


def test_first_load_is_audited(empty_library):
    do_load_reference()
    entry = AuditEntry.objects.filter(object_type="reference.ReferenceLoad").latest("id")
    assert entry.action == "import"
    assert entry.changes["precursors"]["created"] == Precursor.objects.count()


def test_changed_entry_is_updated_and_missing_entry_retired(db, tmp_path):
    # given
    data_dir = _copy_data(tmp_path)
    do_load_reference(data_dir=data_dir)

    def rename_and_drop(document):
        _entry(document, "acetone")["names"]["vi"] = "Axeton (đimetyl xeton)"
        document["entries"] = [e for e in document["entries"] if e["code"] != "toluene"]

    _edit(data_dir, "precursors.json", rename_and_drop)

    # when
    report = do_load_reference(data_dir=data_dir)

    # then
    assert report.counts["precursors"].updated == 1
    assert report.counts["precursors"].retired == 1
    assert Precursor.objects.get(code="acetone").name_vi == "Axeton (đimetyl xeton)"
    toluene = Precursor.objects.get(code="toluene")  # kept for the records that point at it
    assert toluene.active is False


@pytest.mark.parametrize(
    ("file_name", "code", "field", "change"),
    [
        (
            "species.json",
            "manis-javanica",
            "cites_appendix",
            lambda e: e.update(cites_appendix="IV"),
        ),
        ("precursors.json", "acetone", "names", lambda e: e["names"].pop("vi")),
        ("ozone.json", "hcfc-22", "odp", lambda e: e.update(odp="a lot")),
        (
            "timber.json",
            "siamese-rosewood",
            "cites_species",
            lambda e: e.update(cites_species="no-such-tree"),
        ),
        ("precursors.json", "ephedrine", "cas_number", lambda e: e.update(cas_number="299-42")),
        ("basel_wastes.json", "A1160", "colour", lambda e: e.update(colour="grey")),
    ],
)
def test_bad_file_is_rejected_whole_naming_file_entry_and_field(
    db, tmp_path, file_name, code, field, change
):
    # given a library already loaded, and a new version of the data with one good change and one bad entry
    data_dir = _copy_data(tmp_path)
    do_load_reference(data_dir=data_dir)
    _edit(
        data_dir, "drugs.json", lambda d: _entry(d, "heroin")["names"].update(vi="Heroin (đã sửa)")
    )
    _edit(data_dir, file_name, lambda d: change(_entry(d, code)))

    # when
    with pytest.raises(ReferenceDataError) as caught:
        do_load_reference(data_dir=data_dir)

    # then the error names the place, and nothing of the new version was kept
    error = caught.value
    assert (error.file, error.entry, error.field) == (file_name, code, field)
    assert file_name in str(error) and code in str(error) and field in str(error)
    assert DrugType.objects.get(code="heroin").name_vi == "Heroin"
    assert ReferenceLoad.objects.count() == 1


def test_bad_file_on_empty_database_loads_nothing(empty_library, tmp_path):
    data_dir = _copy_data(tmp_path)
    _edit(data_dir, "glossary.json", lambda d: _entry(d, "precursor").update(areas=["astrology"]))

    with pytest.raises(
        ReferenceDataError, match=re.escape("glossary.json, entry 'precursor', field 'areas'")
    ):
        do_load_reference(data_dir=data_dir)

    assert Source.objects.count() == 0
    assert all(v.model._default_manager.count() == 0 for v in VOCABULARIES)


def test_malformed_json_names_the_file(db, tmp_path):
    data_dir = _copy_data(tmp_path)
    (data_dir / "ozone.json").write_text("{not json", encoding="utf-8")

    with pytest.raises(ReferenceDataError, match=r"^ozone.json: not valid JSON"):
        do_load_reference(data_dir=data_dir)


def test_duplicate_code_is_rejected(db, tmp_path):
    data_dir = _copy_data(tmp_path)
    _edit(data_dir, "drugs.json", lambda d: d["entries"].append(dict(d["entries"][0])))

    with pytest.raises(
        ReferenceDataError, match=re.escape("drugs.json, entry 'heroin', field 'code'")
    ):
        do_load_reference(data_dir=data_dir)


def test_command_loads_and_reports(empty_library, capsys):
    call_command("load_reference")
    out = capsys.readouterr().out
    assert "Reference library updated." in out
    assert Precursor.objects.filter(code="acetic-anhydride").exists()


def test_command_refuses_a_bad_file(empty_library, tmp_path):
    from django.core.management.base import CommandError

    data_dir = _copy_data(tmp_path)
    _edit(
        data_dir,
        "species.json",
        lambda d: _entry(d, "panthera-tigris").update(taxon_group="dragon"),
    )

    with pytest.raises(
        CommandError,
        match=re.escape(
            "Nothing was loaded. species.json, entry 'panthera-tigris', field 'taxon_group'"
        ),
    ):
        call_command("load_reference", data_dir=data_dir)
    assert Species.objects.count() == 0


def test_ensure_reference_loaded_loads_once(empty_library):
    assert ensure_reference_loaded() is not None
    assert ensure_reference_loaded() is None
    assert Precursor.objects.exists()


# --- the facts the frontline relies on ---------------------------------------------------------


def test_carbon_dioxide_and_hydrocarbons_are_not_ods(library):
    for code in ("r-744-carbon-dioxide", "r-290-propane", "r-600a-isobutane"):
        substance = OzoneSubstance.objects.get(code=code)
        assert substance.ozone_depleting is False, code
        assert substance.annex == MontrealAnnex.NOT_CONTROLLED, code
        assert substance.controlled is False
        assert "NOT" in substance.description["en"]


def test_hfcs_are_controlled_but_not_ozone_depleting(library):
    hfcs = OzoneSubstance.objects.filter(annex=MontrealAnnex.F)
    assert hfcs.count() >= 18
    assert not hfcs.filter(ozone_depleting=True).exists()
    assert OzoneSubstance.objects.get(code="hcfc-22").odp == Decimal("0.055")
    assert OzoneSubstance.objects.get(code="cfc-12").ozone_depleting is True


def test_pangolins_are_appendix_one_since_2017(library):
    for code in ("manis-javanica", "manis-pentadactyla", "manis-crassicaudata"):
        pangolin = Species.objects.get(code=code)
        assert pangolin.cites_appendix == CitesAppendix.I
        assert pangolin.listed_since == "2017-01-02"
        assert CitesAppendix(pangolin.cites_appendix).commercial_trade_banned
        assert pangolin.parts.filter(code="scales").exists()


def test_precursor_tables(library):
    assert Precursor.objects.get(code="acetic-anhydride").table == "I"
    assert Precursor.objects.get(code="potassium-permanganate").table == "I"
    assert set(Precursor.objects.filter(table="II").values_list("code", flat=True)) == {
        "acetone",
        "anthranilic-acid",
        "ethyl-ether",
        "hydrochloric-acid",
        "methyl-ethyl-ketone",
        "piperidine",
        "sulphuric-acid",
        "toluene",
    }
    ephedrine = Precursor.objects.get(code="ephedrine")
    assert ephedrine.cas_number == "299-42-3"
    assert set(ephedrine.used_to_make.values_list("code", flat=True)) >= {
        "methamphetamine-crystalline"
    }


def test_timber_links_to_its_cites_entry(library):
    rosewood = TimberSpecies.objects.get(code="siamese-rosewood")
    assert rosewood.cites_species is not None
    assert rosewood.cites_species.scientific_name == "Dalbergia cochinchinensis"
    assert rosewood.cites_appendix == CitesAppendix.II
    assert TimberSpecies.objects.get(code="teak").cites_appendix == CitesAppendix.NOT_LISTED


def test_lead_acid_batteries_need_prior_informed_consent(library):
    batteries = WasteCategory.objects.get(code="A1160")
    assert batteries.needs_prior_informed_consent
    assert set(batteries.hazard_characteristics.values_list("code", flat=True)) >= {"H8"}
    assert not WasteCategory.objects.get(code="B1010").needs_prior_informed_consent
    assert WasteCategory.objects.filter(code__regex=r"^Y\d+$").count() == 49


def test_every_country_has_its_authorities(library):
    for country in ("VN", "LA", "KH", "CN", "TH"):
        roles = set(LegalAuthority.objects.filter(country=country).values_list("role", flat=True))
        assert {"drug_control", "cites_management", "ozone_unit", "basel_competent"} <= roles, (
            country
        )
    assert GlossaryTerm.objects.filter(code="migrant-smuggling").exists()
