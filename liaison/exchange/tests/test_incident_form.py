"""The tablet-first incident form: sections by crime area, agencies by post, the commodity picker's
vocabulary, and what the server refuses whatever the page hid."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from liaison.exchange.models import Incident, MigrantSmugglingReport, PersonCount
from liaison.exchange.sections import IncidentSection, applies
from liaison.exchange.services import IncidentParts, do_record_incident
from liaison.reference.models import CrimeArea
from liaison.registry.models import Agency, AgencyKind
from tests.builders import make_agency

NEW = "/exchange/incidents/new/"
COMMODITIES = "/reference/commodities/"
COUNTRIES = "/reference/countries/"


def client_for(user: Any, language: str = "en") -> Client:
    user.preferred_language = language
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def wildlife_post(world: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "blo": world.moc_bai.pk,
        "occurred_at": (timezone.localtime() - datetime.timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "location_kind": "international_checkpoint",
        "direction": "entry",
        "crime_area": "wildlife",
        "detection_method": "scanner",
        "concealment_method": "mixed_with_cargo",
        "conveyance": "truck",
        "summary": "48 kg vảy tê tê",
        "summary_language": "vi",
        "tlp": "AMBER",
        "distribution": "blo",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-commodity": "species:manis-javanica",
        "items-0-quantity": "48",
        "items-0-unit": "kg",
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "nominal-TOTAL_FORMS": "2",
        "nominal-INITIAL_FORMS": "0",
        "vrs-document_fraud": "none",
        "vrs-fee_currency": "USD",
    }
    data.update(changes)
    return data


# --- sections ------------------------------------------------------------------------------------


def test_each_section_names_the_crime_areas_it_belongs_to(exchange_world) -> None:
    page = client_for(exchange_world.lan).get(NEW).content.decode()
    areas = dict(re.findall(r'id="section-(\w+)" data-areas="([^"]*)"', page))
    assert areas["smuggling"] == "migrant_smuggling"
    assert "wildlife" in areas["items"].split() and "migrant_smuggling" not in areas["items"]
    assert set(areas["people"].split()) == {"human_trafficking", "migrant_smuggling", "general"}
    assert 'src="/static/exchange/incident-form.js"' in page


def test_wildlife_seizure_is_recorded_with_its_commodity_code(exchange_world) -> None:
    response = client_for(exchange_world.lan).post(NEW, wildlife_post(exchange_world))
    assert response.status_code == 302
    item = Incident.objects.get().items.get()
    assert item.species is not None and item.species.code == "manis-javanica"


def test_a_commodity_outside_the_vocabulary_is_refused(exchange_world) -> None:
    client = client_for(exchange_world.lan)
    for bad in ("species:no-such-animal", "Sunda pangolin", "pangolin:manis-javanica", "x" * 81):
        response = client.post(NEW, wildlife_post(exchange_world, **{"items-0-commodity": bad}))
        assert response.status_code == 200, bad
        assert response.context["items"].forms[0].errors["commodity"], bad
    assert not Incident.objects.exists()


def test_smuggling_fields_sent_with_a_wildlife_incident_are_refused(exchange_world) -> None:
    # given a page without its script (or a forged post) fills the hidden VRS-MSRC section
    data = wildlife_post(
        exchange_world, **{"vrs-fee_per_person": "300", "vrs-methods": "clandestine"}
    )
    response = client_for(exchange_world.lan).post(NEW, data)
    # then nothing is recorded and the refusal is shown in that section
    assert response.status_code == 200
    assert "not recorded for the chosen crime area" in " ".join(
        map(str, response.context["smuggling"].non_field_errors())
    )
    assert not Incident.objects.exists()
    assert not MigrantSmugglingReport.objects.exists()


def test_head_counts_sent_with_a_wildlife_incident_are_refused(exchange_world) -> None:
    data = wildlife_post(
        exchange_world,
        **{
            "people-0-category": "smuggler",
            "people-0-sex": "male",
            "people-0-age_band": "25-49",
            "people-0-nationality": "VN",
            "people-0-count": "2",
        },
    )
    response = client_for(exchange_world.lan).post(NEW, data)
    assert response.status_code == 200
    assert "not recorded for the chosen crime area" in " ".join(
        map(str, response.context["people"].non_form_errors())
    )
    assert not Incident.objects.exists()


def test_seized_goods_sent_with_a_smuggling_incident_are_refused(exchange_world) -> None:
    data = wildlife_post(exchange_world, crime_area="migrant_smuggling")
    response = client_for(exchange_world.lan).post(NEW, data)
    assert response.status_code == 200
    assert "not recorded for the chosen crime area" in " ".join(
        map(str, response.context["items"].non_form_errors())
    )
    assert not Incident.objects.exists()


def test_smuggling_incident_keeps_its_report_and_head_counts(exchange_world) -> None:
    data = wildlife_post(
        exchange_world,
        crime_area="migrant_smuggling",
        **{
            "items-0-commodity": "",
            "items-0-quantity": "",
            "items-0-unit": "",
            "people-0-category": "smuggled_migrant",
            "people-0-sex": "female",
            "people-0-age_band": "18-24",
            "people-0-nationality": "VN",
            "people-0-count": "4",
            "vrs-fee_per_person": "300",
            "vrs-methods": "clandestine",
        },
    )
    response = client_for(exchange_world.lan).post(NEW, data)
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.people.get().count == 4
    assert MigrantSmugglingReport.objects.get(incident=incident).fee_per_person == 300


def test_sections_without_their_fields_posted_are_fine(exchange_world) -> None:
    # the page's script disables hidden sections, so their fields are not sent at all
    data = {
        k: v
        for k, v in wildlife_post(exchange_world).items()
        if not k.startswith(("vrs-", "people-0"))
    }
    assert client_for(exchange_world.lan).post(NEW, data).status_code == 302


def test_the_service_refuses_a_smuggling_report_or_head_counts_on_a_drug_incident(
    exchange_world,
) -> None:
    def drug_incident() -> Incident:
        return Incident(
            blo=exchange_world.moc_bai,
            occurred_at=timezone.now() - datetime.timedelta(hours=1),
            location_kind="international_checkpoint",
            direction="entry",
            crime_area=CrimeArea.DRUGS,
            detection_method="scanner",
            concealment_method="none",
            conveyance="truck",
            tlp="AMBER",
            distribution="blo",
        )

    with pytest.raises(ValidationError, match="migrant smuggling report"):
        do_record_incident(
            drug_incident(),
            IncidentParts(smuggling=MigrantSmugglingReport(means_of_transport="truck")),
            actor=exchange_world.lan,
        )
    with pytest.raises(ValidationError, match="People are counted"):
        do_record_incident(
            drug_incident(),
            IncidentParts(
                people=[
                    PersonCount(
                        category="smuggler", sex="male", age_band="25-49", nationality="VN", count=1
                    )
                ]
            ),
            actor=exchange_world.lan,
        )
    assert not Incident.objects.exists()
    assert applies(IncidentSection.SMUGGLING, CrimeArea.MIGRANT_SMUGGLING)


# --- agencies ------------------------------------------------------------------------------------


def test_agencies_are_grouped_under_the_post_in_the_readers_language(exchange_world) -> None:
    w = exchange_world
    sodc = make_agency(w.vn, "VN-SODC", AgencyKind.COORDINATION_OFFICE, "SODC", "Văn phòng SODC")
    page = client_for(w.lan, "vi").get(NEW).content.decode()
    agencies = page[page.index('id="agencies"') : page.index('id="section-items"')]
    groups = re.findall(
        r'<fieldset class="agency-group" data-blo="(\d*)"><legend>([^<]+)</legend>(.*?)</fieldset>',
        agencies,
        re.S,
    )
    assert [(blo, name) for blo, name, _body in groups] == [
        (str(w.moc_bai.pk), "Mộc Bài"),
        ("", "Cơ quan khác") if "Cơ quan khác" in agencies else ("", "Other agencies"),
    ]
    post = groups[0][2]
    assert "Hải quan" in post or "Customs" not in post  # the registry's local name when it has one
    assert "Công an tỉnh" in post
    assert f'value="{sodc.pk}"' in groups[1][2] and "Văn phòng SODC" in groups[1][2]
    # each agency once, Cambodia's not at all
    assert (
        len(re.findall(r'name="agencies_involved"', agencies))
        == Agency.objects.filter(country=w.vn).count()
    )
    assert f'value="{w.kh_police.pk}"' not in agencies


def test_agencies_ticked_are_recorded_and_another_countrys_refused(exchange_world) -> None:
    w = exchange_world
    client = client_for(w.lan)
    data = wildlife_post(w, agencies_involved=[str(w.vn_customs.pk), str(w.vn_police.pk)])
    assert client.post(NEW, data).status_code == 302
    assert set(Incident.objects.get().agencies_involved.all()) == {w.vn_customs, w.vn_police}
    refused = client.post(NEW, wildlife_post(w, agencies_involved=[str(w.kh_police.pk)]))
    assert refused.status_code == 200 and refused.context["form"].errors["agencies_involved"]
    assert Incident.objects.count() == 1


# --- the commodity vocabulary --------------------------------------------------------------------


def test_the_page_embeds_no_list_of_commodities(exchange_world) -> None:
    page = client_for(exchange_world.lan).get(NEW).content.decode()
    assert "manis-javanica" not in page and "methamphetamine" not in page
    assert 'data-picker="commodities"' in page
    assert re.search(r'data-picker-commodities="/reference/commodities/\?lang=en&amp;v=\d+"', page)


def test_vocabulary_in_vietnamese_is_found_without_accents(exchange_world) -> None:
    client = client_for(exchange_world.lan, "vi")
    response = client.get(COMMODITIES, {"lang": "vi", "q": "te te"})
    assert response.status_code == 200
    assert "max-age" in response["Cache-Control"]
    entries = response.json()["entries"]
    pangolin = next(e for e in entries if e["value"] == "species:manis-javanica")
    assert "tê tê" in pangolin["label"].lower()
    accented = client.get(COMMODITIES, {"lang": "vi", "q": "Tê Tê"}).json()["entries"]
    assert accented == entries
    # a Latin word is matched at the start of a word: "te" is not inside "methamphetamine"
    assert all("tê tê" in e["label"].lower() for e in entries), [e["label"] for e in entries]
    scales = client.get(COMMODITIES, {"lang": "vi", "q": "manis jav"}).json()["entries"]
    assert [e["value"] for e in scales] == ["species:manis-javanica"]
    everything = client.get(COMMODITIES, {"lang": "vi"}).json()["entries"]
    assert len(everything) > 200 and len(entries) < len(everything)
    drugs = client.get(COMMODITIES, {"kind": "drug"}).json()["entries"]
    assert drugs and all(e["value"].startswith("drug:") for e in drugs)


def test_vocabulary_in_khmer_carries_khmer_names(exchange_world) -> None:
    entries = client_for(exchange_world.dara, "km").get(COMMODITIES, {"lang": "km"}).json()
    pangolin = next(e for e in entries["entries"] if e["value"] == "species:manis-javanica")
    assert "សំពោច" in pangolin["label"]


@pytest.mark.parametrize(
    "params",
    [
        {"lang": "xx"},
        {"kind": "weapons"},
        {"q": "a" * 61},
        {"v": "latest"},
        {"colour": "red"},
    ],
)
def test_vocabulary_answers_bad_input_with_400(exchange_world, params: dict[str, str]) -> None:
    response = client_for(exchange_world.lan).get(COMMODITIES, params)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_vocabulary_is_only_for_signed_in_users_who_may_record(exchange_world) -> None:
    w = exchange_world
    anonymous = Client().get(COMMODITIES)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    for url in (COMMODITIES, COUNTRIES):
        assert Client().get(url).status_code == 302
        for reader in (w.huong, w.ainsley, w.root):  # a coordinator without an agency, staff, admin
            assert client_for(reader).get(url).status_code == 403, reader.username
        for recorder in (w.lan, w.dara, w.khamla, w.tuan):
            assert client_for(recorder).get(url).status_code == 200, recorder.username
        assert client_for(w.lan).post(url).status_code == 405
    for reader in (w.huong, w.ainsley, w.root):
        assert client_for(reader).get(NEW).status_code == 403, reader.username


@pytest.mark.parametrize("params", [{"lang": "xx"}, {"q": "a" * 61}, {"kind": "drug"}])
def test_countries_answer_bad_input_with_400(exchange_world, params: dict[str, str]) -> None:
    response = client_for(exchange_world.lan).get(COUNTRIES, params)
    assert response.status_code == 400 and response.json()["errors"]


def test_countries_are_named_in_the_readers_language_the_networks_first(exchange_world) -> None:
    client = client_for(exchange_world.lan, "vi")
    entries = client.get(COUNTRIES, {"lang": "vi"}).json()["entries"]
    assert {e["value"] for e in entries[:5]} == {"VN", "LA", "KH", "TH", "CN"}
    assert len(entries) > 240
    found = client.get(COUNTRIES, {"lang": "vi", "q": "campuchia"}).json()["entries"]
    assert [e["value"] for e in found] == ["KH"]
    assert found[0]["label"] == "Campuchia"
    # accent-blind, and by the English name too
    lao = client.get(COUNTRIES, {"q": "lao"}).json()["entries"]
    assert lao[0]["value"] == "LA"
    km = client_for(exchange_world.dara, "km").get(COUNTRIES, {"lang": "km", "q": "viet"})
    assert [e["value"] for e in km.json()["entries"]] == ["VN"]


def test_countries_are_posted_as_codes_and_checked(exchange_world) -> None:
    w = exchange_world
    client = client_for(w.lan)
    data = wildlife_post(
        w, origin_country="kh", destination_country="VN", transit_countries=["LA, TH"]
    )
    assert client.post(NEW, data).status_code == 302
    incident = Incident.objects.get()
    assert (incident.origin_country.code, incident.destination_country.code) == ("KH", "VN")
    assert [c.code for c in incident.transit_countries] == ["LA", "TH"]
    # one value per country, as the picker posts them
    data = wildlife_post(w, transit_countries=["LA", "CN"])
    assert client.post(NEW, data).status_code == 302
    for bad in ({"origin_country": "Cambodia"}, {"transit_countries": ["LA", "XX"]}):
        response = client.post(NEW, wildlife_post(w, **bad))
        assert response.status_code == 200 and response.context["form"].errors, bad
    assert Incident.objects.count() == 2


def test_the_page_embeds_no_list_of_countries(exchange_world) -> None:
    page = client_for(exchange_world.lan).get(NEW).content.decode()
    assert "Zimbabwe" not in page and 'value="ZW"' not in page
    assert page.count('data-picker="countries"') == 3 + 2 + 2  # incident, head counts, nominal


# --- date, time and place ------------------------------------------------------------------------


def test_date_and_time_is_the_browsers_picker_and_place_has_a_location_button(
    exchange_world,
) -> None:
    page = client_for(exchange_world.lan).get(NEW).content.decode()
    assert re.search(
        r'<input type="datetime-local" name="occurred_at"[^>]* max="\d{4}-\d\d-\d\dT\d\d:\d\d"',
        page,
    )
    assert "data-geolocate-button" in page and "Use my location" in page
    assert 'name="latitude"' in page and 'name="longitude"' in page


def test_edit_form_shares_the_place_and_time_fields(exchange_world) -> None:
    from tests.builders import make_incident

    incident = make_incident(exchange_world.lan)
    page = client_for(exchange_world.lan).get(f"/exchange/incidents/{incident.reference}/edit/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "data-geolocate-button" in html and 'name="crime_area"' in html
    assert 'name="version"' in html and 'name="summary"' in html
