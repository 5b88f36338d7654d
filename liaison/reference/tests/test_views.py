import pytest
from django.urls import reverse

from liaison.reference.models import OzoneSubstance, Species

from .conftest import make_user

pytestmark = pytest.mark.urls("liaison.reference.tests.urls")


@pytest.fixture
def officer(db):
    return make_user("reader")


@pytest.fixture
def signed_in(client, officer):
    client.force_login(officer)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/reference/",
        "/reference/search/?q=heroin",
        "/reference/species/",
        "/reference/species/manis-javanica/",
    ],
)
def test_anonymous_reader_is_sent_to_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_home_lists_the_categories_with_counts(signed_in, library):
    response = signed_in.get(reverse("reference:home"))
    assert response.status_code == 200
    html = response.content.decode()
    for kind in (
        "precursors",
        "ods",
        "wastes",
        "species",
        "drugs",
        "timber",
        "authorities",
        "glossary",
    ):
        assert reverse("reference:vocabulary", args=[kind]) in html
    assert 'name="q"' in html


def test_search_page_finds_vietnamese_without_accents(signed_in, library):
    response = signed_in.get(
        reverse("reference:search"), {"q": "ma tuy da"}, HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "ma túy đá" in html
    assert reverse("reference:entry", args=["drugs", "methamphetamine-crystalline"]) in html


def test_search_page_says_when_nothing_is_found(signed_in, library):
    response = signed_in.get(reverse("reference:search"), {"q": "unobtainium"})
    assert response.status_code == 200
    assert "unobtainium" in response.content.decode()


def test_detail_page_in_vietnamese_for_a_vietnamese_browser(signed_in, library):
    url = reverse("reference:entry", args=["species", "manis-javanica"])
    response = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="vi")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Tê tê Java</h1>" in html
    assert "Manis javanica" in html
    assert '<td lang="zh-hans">马来穿山甲 (爪哇穿山甲)</td>' in html  # every language is listed
    assert "Cơ thể phủ vảy nâu" in html  # identification hints in Vietnamese
    assert "CITES Appendices I, II and III" in html  # the source citation
    assert "2017-01-02" in html


def test_detail_page_follows_the_readers_own_language(client, library):
    reader = make_user("vietnamese-reader", language="vi")
    client.force_login(reader)
    url = reverse("reference:entry", args=["ods", "r-744-carbon-dioxide"])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Cacbon đioxit (CO2, R-744)</h1>" in html
    assert "KHÔNG phải chất làm suy giảm tầng ôzôn" in html


def test_detail_page_in_english(signed_in, library):
    url = reverse("reference:entry", args=["ods", "r-744-carbon-dioxide"])
    html = signed_in.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Carbon dioxide (R-744)</h1>" in html
    assert "NOT an ozone depleting substance" in html


def test_detail_of_each_kind_renders(signed_in, library):
    from liaison.reference.vocabularies import VOCABULARIES

    for vocabulary in VOCABULARIES:
        entry = vocabulary.model._default_manager.first()
        assert entry is not None
        response = signed_in.get(entry.get_absolute_url())
        assert response.status_code == 200, entry.get_absolute_url()
        list_response = signed_in.get(reverse("reference:vocabulary", args=[vocabulary.kind]))
        assert list_response.status_code == 200
        assert entry.get_absolute_url() in list_response.content.decode()


def test_retired_entry_still_opens_with_a_notice(signed_in, library):
    OzoneSubstance.objects.filter(code="cfc-11").update(active=False)
    response = signed_in.get(
        reverse("reference:entry", args=["ods", "cfc-11"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "No longer in the current list" in response.content.decode()


def test_unknown_kind_or_code_is_not_found(signed_in, library):
    assert signed_in.get("/reference/dragons/").status_code == 404
    assert signed_in.get("/reference/dragons/x/").status_code == 404
    assert signed_in.get("/reference/species/no-such-species/").status_code == 404


def test_policy_lets_every_signed_in_user_read_and_only_admins_change(library):
    from liaison.registry import permissions
    from liaison.registry.permissions import Action

    pangolin = Species.objects.get(code="manis-javanica")
    reader = make_user("someone")
    admin = make_user("admin", role="system_administrator")
    assert permissions.can(reader, Action.VIEW, pangolin)
    assert not permissions.can(reader, Action.CHANGE, pangolin)
    assert permissions.can(admin, Action.CHANGE, pangolin)
    assert permissions.visible(reader, Species).count() == Species.objects.count()


def test_coded_lists_keep_the_conventions_order(signed_in, library):
    html = signed_in.get(
        reverse("reference:vocabulary", args=["wastes"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = html.content.decode()
    assert text.index("/reference/wastes/Y2/") < text.index("/reference/wastes/Y10/")
    assert text.index("Annex VIII, list A") < text.index("Annex IX, list B")
    assert text.index("/reference/wastes/A1160/") < text.index("/reference/wastes/B1010/")
