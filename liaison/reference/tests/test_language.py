from django.utils import translation

from liaison.reference.language import fold, label, localised, normalise_language
from liaison.reference.models import DrugType


def test_fold_drops_vietnamese_accents_and_case():
    assert fold("Ma Túy đá") == "ma tuy da"
    assert fold("Tê tê Java") == "te te java"
    assert fold("  Rắn   hổ mang chúa ") == "ran ho mang chua"
    assert fold("Đàn hương đỏ") == "dan huong do"


def test_fold_keeps_other_scripts():
    assert fold("ยาบ้า") == "ยาบ้า"  # Thai vowel and tone marks are letters there, not accents
    assert fold("ຢາບ້າ") == "ຢາບ້າ"
    assert fold("ថ្នាំយ៉ាម៉ា") == "ថ្នាំយ៉ាម៉ា"
    assert fold("冰毒") == "冰毒"


def test_normalise_language():
    assert normalise_language("vi-VN") == "vi"
    assert normalise_language("zh-CN") == "zh-hans"
    assert normalise_language("zh_Hans") == "zh-hans"
    assert normalise_language("fr") == "en"


def test_label_falls_back_to_english():
    drug = DrugType(name_en="Heroin", name_vi="Heroin (bạch phiến)", name_th="เฮโรอีน", name_lo="")
    assert label(drug, "vi") == "Heroin (bạch phiến)"
    assert label(drug, "th") == "เฮโรอีน"
    assert label(drug, "lo") == "Heroin"
    assert label(drug, "de") == "Heroin"
    with translation.override("vi"):
        assert label(drug) == "Heroin (bạch phiến)"
        assert drug.label() == "Heroin (bạch phiến)"


def test_localised_text_falls_back_to_english():
    texts = {"en": "White powder", "vi": "Bột màu trắng"}
    assert localised(texts, "vi") == "Bột màu trắng"
    assert localised(texts, "km") == "White powder"
    assert localised({}, "vi") == ""
