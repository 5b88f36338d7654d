"""Build ``patrol_tna.xlsx``: the PATROL training needs assessment questionnaire as an XLSForm.

Reconstructed from the UNODC report of the survey of 33 Vietnamese BLO officers (17–19 August
2010): the respondent profile, the five themes of the questionnaire as top-level groups, the
knowledge questions (with our ``correct`` column on the choices sheet), the smuggling/trafficking
scenarios, the training-need grid of Table 2 (question 5.9), the integrity scenario of Table 3
(question 5.10) and the meeting frequencies of Table 1. English and Vietnamese.

Run ``uv run python -m liaison.surveys.forms.build_patrol_tna`` to regenerate the workbook next to
this file; the test suite checks that the committed workbook is what this script writes.

One convention beyond XLSForm: a choice list named like a calculate question (``cluster``,
``years_band``) gives that calculation's values their labels in reports.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook

FORM_PATH = Path(__file__).resolve().parent / "patrol_tna.xlsx"
EN = "English (en)"
VI = "Vietnamese (vi)"

SURVEY_COLUMNS = [
    "type",
    "name",
    f"label::{EN}",
    f"label::{VI}",
    f"hint::{EN}",
    f"hint::{VI}",
    "required",
    "relevant",
    "constraint",
    f"constraint_message::{EN}",
    f"constraint_message::{VI}",
    "calculation",
    "appearance",
]
CHOICE_COLUMNS = ["list_name", "name", f"label::{EN}", f"label::{VI}", "correct"]

Row = dict[str, str]


def question(kind: str, name: str, en: str = "", vi: str = "", **extra: str) -> Row:
    row = {"type": kind, "name": name, f"label::{EN}": en, f"label::{VI}": vi}
    for key, value in extra.items():
        column = {
            "hint_en": f"hint::{EN}",
            "hint_vi": f"hint::{VI}",
            "message_en": f"constraint_message::{EN}",
            "message_vi": f"constraint_message::{VI}",
        }.get(key, key)
        row[column] = value
    return row


def begin(name: str, en: str, vi: str, **extra: str) -> Row:
    return question("begin_group", name, en, vi, **extra)


def end(name: str) -> Row:
    return {"type": "end_group", "name": name}


YES = "yes"

SURVEY: list[Row] = [
    # --- respondent profile ---------------------------------------------------------------
    begin("profile", "Respondent profile", "Thông tin về người trả lời"),
    question(
        "note",
        "intro",
        "This questionnaire is part of the PATROL training needs assessment. "
        "Your answers are anonymous.",
        "Phiếu khảo sát này thuộc đánh giá nhu cầu đào tạo của dự án PATROL. "
        "Câu trả lời của anh/chị được giữ kín danh tính.",
    ),
    question(
        "select_one agency",
        "agency",
        "Which agency do you belong to?",
        "Anh/chị thuộc cơ quan nào?",
        required=YES,
    ),
    question(
        "text",
        "agency_other",
        "Which other agency?",
        "Cơ quan nào khác?",
        required=YES,
        relevant="${agency} = 'other'",
    ),
    question(
        "select_one blo",
        "blo",
        "At which Border Liaison Office (BLO) do you work?",
        "Anh/chị công tác tại Văn phòng liên lạc biên giới (BLO) nào?",
        required=YES,
    ),
    question(
        "integer",
        "years_border",
        "How many years have you worked at this border section?",
        "Anh/chị đã công tác tại khu vực biên giới này bao nhiêu năm?",
        hint_en="Less than one year: enter 0.",
        hint_vi="Dưới một năm: nhập 0.",
        required=YES,
        constraint=". >= 0 and . <= 45",
        message_en="Enter a number of years between 0 and 45.",
        message_vi="Nhập số năm từ 0 đến 45.",
    ),
    question(
        "calculate",
        "years_band",
        "How long have you worked at this border section?",
        "Anh/chị đã công tác tại khu vực biên giới này bao lâu?",
        calculation=(
            "if(${years_border} = '', '', if(${years_border} < 1, 'lt1', "
            "if(${years_border} < 3, 'y1_3', if(${years_border} < 7, 'y3_7', 'gt7'))))"
        ),
    ),
    end("profile"),
    question(
        "calculate",
        "cluster",
        "Cluster",
        "Cụm",
        calculation=(
            "if(${blo} = 'dien_bien' or ${blo} = 'moc_chau' or ${blo} = 'cau_treo' "
            "or ${blo} = 'lao_bao', 'CL1', if(${blo} = '', '', 'CL2'))"
        ),
    ),
    # --- 1. migrant smuggling and human trafficking ------------------------------------------
    begin(
        "smuggling_trafficking",
        "1. Migrant smuggling and human trafficking",
        "1. Đưa người di cư trái phép và mua bán người",
    ),
    question(
        "select_one yes_no",
        "dealt_smuggling",
        "1.1 Have you ever dealt with a case of migrant smuggling?",
        "1.1 Anh/chị đã từng xử lý vụ việc đưa người di cư trái phép nào chưa?",
    ),
    question(
        "select_one yes_no",
        "dealt_trafficking",
        "1.2 Have you ever dealt with a case of human trafficking?",
        "1.2 Anh/chị đã từng xử lý vụ mua bán người nào chưa?",
    ),
    question(
        "select_one criminal",
        "criminalized",
        "1.3 Are migrant smuggling and human trafficking crimes under Vietnamese law?",
        "1.3 Theo pháp luật Việt Nam, đưa người di cư trái phép và mua bán người có phải là "
        "tội phạm không?",
    ),
    question(
        "select_one yes_no",
        "trained_hs",
        "1.4 Have you ever received training on migrant smuggling or human trafficking?",
        "1.4 Anh/chị đã từng được đào tạo về đưa người di cư trái phép hoặc mua bán người chưa?",
    ),
    question(
        "select_one scenario_1",
        "scenario_1",
        "1.5 A man pays a guide to take him across the border through the forest so that he "
        "can look for work in the neighbouring country. Once across, he goes his own way. "
        "This is:",
        "1.5 Một người đàn ông trả tiền cho người dẫn đường đưa anh ta qua biên giới bằng đường "
        "rừng để sang nước láng giềng tìm việc. Sang đến nơi, anh ta tự đi tiếp. Đây là:",
    ),
    question(
        "select_one scenario_2",
        "scenario_2",
        "1.6 A girl is promised a job in a restaurant abroad. After crossing the border her "
        "documents are taken and she is forced into prostitution. This is:",
        "1.6 Một cô gái được hứa hẹn việc làm tại một nhà hàng ở nước ngoài. Sau khi qua biên "
        "giới, giấy tờ của cô bị thu giữ và cô bị ép bán dâm. Đây là:",
    ),
    question(
        "select_one scenario_3",
        "scenario_3",
        "1.7 A group of workers pay to be hidden in a truck to cross the border. On arrival "
        "they are made to work without pay on a plantation to repay their “debt”. This is:",
        "1.7 Một nhóm lao động trả tiền để được giấu trong xe tải vượt biên giới. Khi đến nơi, "
        "họ bị bắt làm việc không công ở một đồn điền để trả “nợ”. Đây là:",
    ),
    question(
        "select_one crossing_help",
        "migrant_help",
        "1.8 How do most illegal migrants cross the border?",
        "1.8 Phần lớn người di cư trái phép vượt biên giới bằng cách nào?",
    ),
    question(
        "select_one crossing_point",
        "migrant_crossing",
        "1.9 Where do most illegal migrants cross the border?",
        "1.9 Phần lớn người di cư trái phép vượt biên giới ở đâu?",
    ),
    question(
        "select_multiple trafficking_form",
        "trafficking_forms",
        "1.10 Which forms of human trafficking are most common at your border?",
        "1.10 Những hình thức mua bán người nào phổ biến nhất tại khu vực biên giới của anh/chị?",
        hint_en="Tick all that apply.",
        hint_vi="Chọn tất cả các phương án phù hợp.",
    ),
    question(
        "select_one flow",
        "migration_flow",
        "1.11 For illegal migration, Viet Nam is mainly a:",
        "1.11 Đối với di cư trái phép, Việt Nam chủ yếu là:",
    ),
    question(
        "select_one flow",
        "trafficking_flow",
        "1.12 For human trafficking, Viet Nam is mainly a:",
        "1.12 Đối với mua bán người, Việt Nam chủ yếu là:",
    ),
    question(
        "select_multiple hs_training",
        "hs_training_needs",
        "1.13 Which training on smuggling and trafficking would be most useful to you?",
        "1.13 Nội dung đào tạo nào về đưa người di cư trái phép và mua bán người hữu ích nhất "
        "đối với anh/chị?",
    ),
    end("smuggling_trafficking"),
    # --- 2. drugs and precursor chemicals ---------------------------------------------------
    begin("drugs", "2. Drugs and precursor chemicals", "2. Ma túy và tiền chất"),
    question(
        "select_one yes_no",
        "dealt_drugs",
        "2.1 Have you ever dealt with a case of drug trafficking?",
        "2.1 Anh/chị đã từng xử lý vụ mua bán, vận chuyển trái phép chất ma túy nào chưa?",
    ),
    question(
        "select_one yes_no",
        "dealt_precursors",
        "2.2 Have you ever dealt with a case involving drug precursors?",
        "2.2 Anh/chị đã từng xử lý vụ việc liên quan đến tiền chất ma túy nào chưa?",
    ),
    question(
        "select_multiple precursor",
        "precursors",
        "2.3 Which of the following substances are drug precursors?",
        "2.3 Những chất nào sau đây là tiền chất ma túy?",
        hint_en="Tick all that apply.",
        hint_vi="Chọn tất cả các phương án phù hợp.",
    ),
    question(
        "select_one yes_no",
        "trained_drugs",
        "2.4 Have you ever received training on drugs?",
        "2.4 Anh/chị đã từng được đào tạo về ma túy chưa?",
    ),
    question(
        "select_one yes_no",
        "trained_precursors",
        "2.5 Have you ever received formal training on identifying precursors?",
        "2.5 Anh/chị đã từng được đào tạo chính thức về nhận dạng tiền chất chưa?",
    ),
    question(
        "select_one yes_no",
        "trained_drug_law",
        "2.6 Have you ever received training on drug legislation?",
        "2.6 Anh/chị đã từng được đào tạo về pháp luật phòng, chống ma túy chưa?",
    ),
    question(
        "select_one penal_code",
        "penal_code",
        "2.7 Which article of the Penal Code (1999) makes illegal transporting and trading in "
        "narcotics a crime rather than an administrative violation?",
        "2.7 Điều nào của Bộ luật Hình sự (1999) quy định việc vận chuyển, mua bán trái phép "
        "chất ma túy là tội phạm chứ không phải vi phạm hành chính?",
    ),
    question(
        "select_multiple drug",
        "drugs_trafficked",
        "2.8 Which drugs are most commonly trafficked across your border?",
        "2.8 Những loại ma túy nào thường bị vận chuyển trái phép qua khu vực biên giới của "
        "anh/chị nhất?",
    ),
    question(
        "select_one flow",
        "drugs_flow",
        "2.9 For drug trafficking, Viet Nam is mainly a:",
        "2.9 Đối với mua bán ma túy, Việt Nam chủ yếu là:",
    ),
    question(
        "select_multiple drug_training",
        "drug_training_needs",
        "2.10 Which training on drugs and precursors would be most useful to you?",
        "2.10 Nội dung đào tạo nào về ma túy và tiền chất hữu ích nhất đối với anh/chị?",
    ),
    end("drugs"),
    # --- 3. wildlife and timber ---------------------------------------------------------------
    begin(
        "wildlife_timber",
        "3. Wildlife and timber trafficking",
        "3. Buôn bán trái phép động vật hoang dã và gỗ",
    ),
    question(
        "select_one yes_no",
        "dealt_wildlife",
        "3.1 Have you ever dealt with a case of wildlife or timber smuggling?",
        "3.1 Anh/chị đã từng xử lý vụ buôn lậu động vật hoang dã hoặc gỗ nào chưa?",
    ),
    question(
        "select_one wildlife_trade",
        "wildlife_definition",
        "3.2 What is wildlife trade?",
        "3.2 Buôn bán động vật, thực vật hoang dã là gì?",
    ),
    question(
        "select_one yes_no",
        "heard_cites",
        "3.3 Have you ever heard of CITES?",
        "3.3 Anh/chị đã từng nghe nói về CITES chưa?",
    ),
    question(
        "select_one cites",
        "cites_what",
        "3.4 What is CITES?",
        "3.4 CITES là gì?",
        relevant="${heard_cites} = 'yes'",
    ),
    question(
        "select_one permit",
        "cites_permit",
        "3.5 Are permits or certificates needed to trade CITES-listed species across the border?",
        "3.5 Buôn bán qua biên giới các loài thuộc danh mục CITES có cần giấy phép hoặc chứng chỉ "
        "không?",
    ),
    question(
        "select_one permit",
        "timber_permit",
        "3.6 Are permits needed to bring timber across the border?",
        "3.6 Đưa gỗ qua biên giới có cần giấy phép không?",
    ),
    question(
        "select_multiple species",
        "wildlife_species",
        "3.7 Which wildlife species are most commonly smuggled across your border?",
        "3.7 Những loài động vật, thực vật hoang dã nào thường bị buôn lậu qua khu vực biên giới "
        "của anh/chị nhất?",
    ),
    question(
        "select_one frequency",
        "wildlife_seen",
        "3.8 How often do you observe wildlife trade across your checkpoint?",
        "3.8 Anh/chị có thường thấy buôn bán động vật hoang dã qua cửa khẩu của mình không?",
        appearance="likert",
    ),
    question(
        "select_multiple concealment",
        "wildlife_concealment",
        "3.9 How is wildlife most commonly moved across the border?",
        "3.9 Động vật hoang dã thường được vận chuyển qua biên giới bằng cách nào?",
    ),
    question(
        "select_multiple authority",
        "wildlife_authority",
        "3.10 Whom would you contact to determine whether a wildlife or timber shipment is legal?",
        "3.10 Anh/chị sẽ liên hệ với cơ quan nào để xác định tính hợp pháp của một lô hàng "
        "động vật hoang dã hoặc gỗ?",
    ),
    question(
        "select_multiple wildlife_training",
        "wildlife_training_needs",
        "3.11 Which training on wildlife and timber would be most useful to you?",
        "3.11 Nội dung đào tạo nào về động vật hoang dã và gỗ hữu ích nhất đối với anh/chị?",
    ),
    end("wildlife_timber"),
    # --- 4. ODS and hazardous waste -------------------------------------------------------------
    begin(
        "ods_waste",
        "4. Ozone depleting substances and hazardous waste",
        "4. Các chất làm suy giảm tầng ô-dôn và chất thải nguy hại",
    ),
    question(
        "select_one yes_no",
        "knows_waste",
        "4.1 Do you know what hazardous wastes are?",
        "4.1 Anh/chị có biết chất thải nguy hại là gì không?",
    ),
    question(
        "select_multiple waste",
        "waste_types",
        "4.2 Which hazardous wastes do you come across most often?",
        "4.2 Anh/chị thường gặp những loại chất thải nguy hại nào nhất?",
        relevant="${knows_waste} = 'yes'",
    ),
    question(
        "select_one yes_no",
        "knows_ods",
        "4.3 Do you know what ozone depleting substances (ODS) are?",
        "4.3 Anh/chị có biết các chất làm suy giảm tầng ô-dôn (ODS) là gì không?",
    ),
    question(
        "select_multiple ods",
        "ods_substances",
        "4.4 Which of the following are ozone depleting substances?",
        "4.4 Những chất nào sau đây là chất làm suy giảm tầng ô-dôn?",
        relevant="${knows_ods} = 'yes'",
        hint_en="Tick all that apply.",
        hint_vi="Chọn tất cả các phương án phù hợp.",
    ),
    question(
        "select_one yes_no",
        "knows_basel",
        "4.5 Do you know what the Basel Convention is?",
        "4.5 Anh/chị có biết Công ước Basel là gì không?",
    ),
    question(
        "select_one yes_no",
        "knows_montreal",
        "4.6 Do you know what the Montreal Protocol is?",
        "4.6 Anh/chị có biết Nghị định thư Montreal là gì không?",
    ),
    question(
        "select_one shipment",
        "shipment_action",
        "4.7 A shipment may be carrying hazardous waste without papers. What do you do?",
        "4.7 Một lô hàng có thể chứa chất thải nguy hại mà không có giấy tờ. Anh/chị sẽ làm gì?",
    ),
    question(
        "select_one followup",
        "shipment_followup",
        "4.8 After detaining it, what is the next step?",
        "4.8 Sau khi tạm giữ, bước tiếp theo là gì?",
        relevant="${shipment_action} = 'detain'",
    ),
    question(
        "select_one frequency",
        "waste_seen",
        "4.9 How often do you encounter movements of hazardous waste at your border?",
        "4.9 Anh/chị có thường gặp việc vận chuyển chất thải nguy hại qua biên giới không?",
        appearance="likert",
    ),
    question(
        "select_one frequency",
        "ods_seen",
        "4.10 How often do you encounter movements of ODS at your border?",
        "4.10 Anh/chị có thường gặp việc vận chuyển các chất làm suy giảm tầng ô-dôn qua biên "
        "giới không?",
        appearance="likert",
    ),
    question(
        "select_one yes_no",
        "trained_ods",
        "4.11 Have you ever received training on hazardous waste or ODS?",
        "4.11 Anh/chị đã từng được đào tạo về chất thải nguy hại hoặc các chất làm suy giảm "
        "tầng ô-dôn chưa?",
    ),
    question(
        "select_multiple ods_training",
        "ods_training_needs",
        "4.12 Which training on hazardous waste and ODS would be most useful to you?",
        "4.12 Nội dung đào tạo nào về chất thải nguy hại và các chất làm suy giảm tầng ô-dôn "
        "hữu ích nhất đối với anh/chị?",
    ),
    end("ods_waste"),
    # --- 5. operations, training and integrity ------------------------------------------------
    begin(
        "operations",
        "5. Operations, training and integrity",
        "5. Hoạt động, đào tạo và liêm chính",
    ),
    question(
        "select_one meetings",
        "meet_crossborder",
        "5.1 Bilateral cross-border meetings with BLO counterparts: do you have regular meetings?",
        "5.1 Họp song phương qua biên giới với BLO đối tác: đơn vị anh/chị có họp định kỳ không?",
    ),
    question(
        "select_one meetings",
        "meet_district",
        "5.2 Meetings with the district authorities: do you have regular meetings?",
        "5.2 Họp với chính quyền cấp huyện: đơn vị anh/chị có họp định kỳ không?",
    ),
    question(
        "select_one meetings",
        "meet_national",
        "5.3 Meetings with the national authorities: do you have regular meetings?",
        "5.3 Họp với các cơ quan cấp trung ương: đơn vị anh/chị có họp định kỳ không?",
    ),
    question(
        "select_one threat",
        "main_threat",
        "5.4 Which cross-border crime is the most serious threat at your border?",
        "5.4 Loại tội phạm xuyên biên giới nào là mối đe dọa nghiêm trọng nhất tại khu vực biên "
        "giới của anh/chị?",
    ),
    question(
        "select_multiple equipment",
        "equipment_needed",
        "5.5 Which equipment does your BLO need most urgently?",
        "5.5 BLO của anh/chị cần những trang thiết bị nào cấp thiết nhất?",
    ),
    question(
        "select_one frequency",
        "cbt_use",
        "5.6 How often do you use the Computer-Based Training (CBT) machines of your BLO?",
        "5.6 Anh/chị có thường sử dụng máy đào tạo trên máy tính (CBT) của BLO không?",
        appearance="likert",
    ),
    begin(
        "training_grid",
        "5.9 What further training do you require to fully implement your duty in the "
        "interdiction and suppression of TOC?",
        "5.9 Anh/chị cần được đào tạo thêm những gì để thực hiện đầy đủ nhiệm vụ ngăn chặn và "
        "trấn áp tội phạm có tổ chức xuyên quốc gia?",
        appearance="field-list",
    ),
    question(
        "select_one training_need",
        "tr_investigation",
        "Transnational crime investigation",
        "Điều tra tội phạm xuyên quốc gia",
    ),
    question(
        "select_one training_need",
        "tr_checkpoint",
        "Check point anti-smuggling",
        "Chống buôn lậu tại cửa khẩu",
    ),
    question(
        "select_one training_need",
        "tr_intelligence",
        "Transnational crime intelligence collection and analysis",
        "Thu thập và phân tích thông tin tình báo về tội phạm xuyên quốc gia",
    ),
    question(
        "select_one training_need",
        "tr_patrolling",
        "Field border patrolling",
        "Tuần tra biên giới trên thực địa",
    ),
    question(
        "select_one training_need",
        "tr_awareness",
        "Transnational crime awareness",
        "Nâng cao nhận thức về tội phạm xuyên quốc gia",
    ),
    question(
        "select_one training_need",
        "tr_computer",
        "Computer training",
        "Đào tạo tin học",
    ),
    end("training_grid"),
    question(
        "select_one integrity",
        "integrity",
        "5.10 Imagine that Mr. Y is an old friend of your colleague Officer JK, working at the "
        "border. Mr. Y is a respectable family man who runs a small business that entails "
        "frequent border crossings. One day he arrives at the border to cross it with his "
        "minivan, and for the first time he does not have all of the necessary travel "
        "documentation. He apologizes and invites Officer JK for lunch. What do you think "
        "Officer JK will do?",
        "5.10 Giả sử ông Y là bạn cũ của đồng nghiệp của anh/chị, cán bộ JK, đang công tác tại "
        "biên giới. Ông Y là người đàng hoàng, có gia đình, kinh doanh nhỏ nên thường xuyên qua "
        "lại biên giới. Một hôm ông đến cửa khẩu bằng chiếc xe khách nhỏ của mình và lần đầu "
        "tiên không mang đủ giấy tờ cần thiết. Ông xin lỗi và mời cán bộ JK đi ăn trưa. Theo "
        "anh/chị, cán bộ JK sẽ làm gì?",
        required=YES,
    ),
    question(
        "select_one integrity_followup",
        "integrity_followup",
        "5.11 If Officer JK lets Mr. Y pass, what would you do?",
        "5.11 Nếu cán bộ JK cho ông Y qua, anh/chị sẽ làm gì?",
        relevant="${integrity} != 'refuse'",
    ),
    question(
        "select_one yes_no",
        "presents_regulation",
        "5.12 Are you aware of any regulation on receiving presents at the border?",
        "5.12 Anh/chị có biết quy định nào về việc nhận quà biếu tại biên giới không?",
    ),
    question(
        "select_one yes_no",
        "presents_training",
        "5.13 Have you ever received training on how to handle such situations?",
        "5.13 Anh/chị đã từng được đào tạo về cách xử lý những tình huống như vậy chưa?",
    ),
    question(
        "text",
        "comments",
        "5.14 Other comments or training needs",
        "5.14 Ý kiến hoặc nhu cầu đào tạo khác",
    ),
    end("operations"),
]


def choices(list_name: str, *items: tuple[str, str, str] | tuple[str, str, str, int]) -> list[Row]:
    rows = []
    for item in items:
        name, en, vi = item[:3]
        row = {"list_name": list_name, "name": name, f"label::{EN}": en, f"label::{VI}": vi}
        if len(item) == 4:
            row["correct"] = str(item[3])
        rows.append(row)
    return rows


DONT_KNOW = ("dont_know", "Don't know", "Không biết")

CHOICES: list[Row] = [
    *choices(
        "agency",
        ("provincial_police", "Provincial Police", "Công an tỉnh"),
        ("border_army", "Border Army", "Bộ đội Biên phòng"),
        ("customs", "Customs", "Hải quan"),
        (
            "anti_narcotics",
            "Provincial Anti-Narcotics Police",
            "Cảnh sát phòng chống tội phạm về ma túy tỉnh",
        ),
        ("other", "Others", "Khác"),
    ),
    *choices(
        "blo",
        ("dien_bien", "Dien Bien", "Điện Biên"),
        ("moc_chau", "Moc Chau", "Mộc Châu"),
        ("cau_treo", "Cau Treo", "Cầu Treo"),
        ("lao_bao", "Lao Bao", "Lao Bảo"),
        ("moc_bai", "Moc Bai", "Mộc Bài"),
        ("song_tien", "Song Tien", "Sông Tiền"),
        ("long_binh", "Long Binh", "Long Bình"),
    ),
    *choices(
        "years_band",
        ("lt1", "Less than 1 year", "Dưới 1 năm"),
        ("y1_3", "1 - 3 years", "1 - 3 năm"),
        ("y3_7", "3 - 7 years", "3 - 7 năm"),
        ("gt7", "More than 7 years", "Trên 7 năm"),
    ),
    *choices(
        "cluster",
        (
            "CL1",
            "CL1 - north-western BLOs (Lao border)",
            "CL1 - các BLO phía Tây Bắc (biên giới Lào)",
        ),
        (
            "CL2",
            "CL2 - southern BLOs (Cambodian border)",
            "CL2 - các BLO phía Nam (biên giới Campuchia)",
        ),
    ),
    *choices("yes_no", ("yes", "Yes", "Có"), ("no", "No", "Không")),
    *choices(
        "criminal",
        ("yes", "Yes, both are crimes", "Có, cả hai đều là tội phạm", 1),
        ("no", "No", "Không", 0),
        (*DONT_KNOW, 0),
    ),
    *[
        row
        for index, correct in ((1, "smuggling"), (2, "trafficking"), (3, "trafficking"))
        for row in choices(
            f"scenario_{index}",
            (
                "smuggling",
                "Migrant smuggling",
                "Đưa người di cư trái phép",
                int(correct == "smuggling"),
            ),
            ("trafficking", "Human trafficking", "Mua bán người", int(correct == "trafficking")),
            ("neither", "Neither", "Không phải cả hai", 0),
            (*DONT_KNOW, 0),
        )
    ],
    *choices(
        "crossing_help",
        (
            "with_smugglers",
            "With the help of smugglers",
            "Có sự giúp sức của đối tượng đưa người vượt biên trái phép",
        ),
        ("on_their_own", "On their own", "Tự đi"),
        DONT_KNOW,
    ),
    *choices(
        "crossing_point",
        ("international_checkpoint", "International checkpoints", "Cửa khẩu quốc tế"),
        ("local_checkpoint", "Local checkpoints", "Cửa khẩu phụ, lối mở"),
        (
            "unofficial",
            "Between checkpoints (unofficial crossings)",
            "Đường mòn, lối đi không chính thức giữa các cửa khẩu",
        ),
        ("not_sure", "Not sure", "Không chắc chắn"),
    ),
    *choices(
        "trafficking_form",
        ("women_sexual", "Women for sexual exploitation", "Phụ nữ bị bóc lột tình dục"),
        (
            "forced_marriage",
            "Women and girls for forced marriage",
            "Phụ nữ, trẻ em gái bị ép kết hôn",
        ),
        ("men_labour", "Men for forced labour", "Nam giới bị cưỡng bức lao động"),
        ("children", "Children for labour or begging", "Trẻ em bị bóc lột lao động hoặc ăn xin"),
    ),
    *choices(
        "flow",
        ("origin", "Country of origin", "Nước xuất phát"),
        ("transit", "Country of transit", "Nước trung chuyển"),
        ("destination", "Country of destination", "Nước đích"),
        DONT_KNOW,
    ),
    *choices(
        "hs_training",
        (
            "detect_migrants",
            "Detecting, handling and interviewing smuggled migrants",
            "Phát hiện, xử lý và phỏng vấn người di cư trái phép",
        ),
        (
            "detect_victims",
            "Detecting, handling and interviewing trafficked persons",
            "Phát hiện, xử lý và phỏng vấn nạn nhân bị mua bán",
        ),
        (
            "difference",
            "The difference between smuggling and trafficking",
            "Phân biệt đưa người di cư trái phép với mua bán người",
        ),
        (
            "legislation",
            "Laws on smuggling and trafficking",
            "Pháp luật về đưa người di cư trái phép và mua bán người",
        ),
        ("documents", "Detecting forged travel documents", "Phát hiện giấy tờ xuất nhập cảnh giả"),
    ),
    *choices(
        "precursor",
        ("ephedrine", "Ephedrine", "Ephedrin", 1),
        ("pseudoephedrine", "Pseudoephedrine", "Pseudoephedrin", 1),
        ("acetic_anhydride", "Acetic anhydride", "Anhydrit axetic", 1),
        ("potassium_permanganate", "Potassium permanganate", "Kali pemanganat", 1),
        ("safrole", "Safrole", "Safrol", 1),
        ("cocaine", "Cocaine", "Cocain", 0),
        ("cannabis", "Cannabis", "Cần sa", 0),
        ("morphine", "Morphine", "Morphin", 0),
        ("methamphetamine", "Methamphetamine", "Methamphetamin", 0),
    ),
    *choices(
        "penal_code",
        (
            "art_194",
            "Article 194 (illegal stockpiling, transporting, trading in or appropriating "
            "narcotics)",
            "Điều 194 (Tội tàng trữ, vận chuyển, mua bán trái phép hoặc chiếm đoạt chất ma túy)",
            1,
        ),
        ("art_153", "Article 153 (smuggling)", "Điều 153 (Tội buôn lậu)", 0),
        ("art_119", "Article 119 (trafficking in women)", "Điều 119 (Tội mua bán phụ nữ)", 0),
        (*DONT_KNOW, 0),
    ),
    *choices(
        "drug",
        ("heroin", "Heroin", "Heroin"),
        ("opium", "Opium", "Thuốc phiện"),
        ("amphetamine_pills", "Methamphetamine pills", "Ma túy tổng hợp dạng viên (hồng phiến)"),
        ("crystal_meth", "Crystal methamphetamine", "Ma túy đá"),
        ("cannabis", "Cannabis", "Cần sa"),
        ("ecstasy", "Ecstasy (MDMA)", "Thuốc lắc (MDMA)"),
        ("ketamine", "Ketamine", "Ketamin"),
    ),
    *choices(
        "drug_training",
        ("drug_id", "Identification of drugs", "Nhận dạng ma túy"),
        ("search", "Search techniques", "Kỹ thuật khám xét"),
        ("precursor_id", "Identification of drug precursors", "Nhận dạng tiền chất ma túy"),
        ("profiling", "Profiling of drug couriers", "Nhận diện đối tượng vận chuyển ma túy"),
        ("legislation", "Drug legislation", "Pháp luật về ma túy"),
    ),
    *choices(
        "wildlife_trade",
        (
            "all_trade",
            "Any trade in wild animals and plants, live or dead, and in their parts and products",
            "Mọi hoạt động buôn bán động vật, thực vật hoang dã còn sống hoặc đã chết, và các bộ "
            "phận, sản phẩm của chúng",
            1,
        ),
        (
            "live_only",
            "Trade in live wild animals only",
            "Chỉ buôn bán động vật hoang dã còn sống",
            0,
        ),
        (
            "endangered_only",
            "Trade in endangered species only",
            "Chỉ buôn bán các loài nguy cấp",
            0,
        ),
        (*DONT_KNOW, 0),
    ),
    *choices(
        "cites",
        (
            "convention",
            "The Convention on International Trade in Endangered Species of Wild Fauna and Flora",
            "Công ước về buôn bán quốc tế các loài động vật, thực vật hoang dã nguy cấp",
            1,
        ),
        (
            "tariff",
            "An agreement on customs tariffs for wildlife products",
            "Một hiệp định về thuế quan đối với sản phẩm động vật hoang dã",
            0,
        ),
        (
            "asean_wen",
            "The ASEAN Wildlife Enforcement Network",
            "Mạng lưới thực thi pháp luật về động vật hoang dã ASEAN",
            0,
        ),
        (*DONT_KNOW, 0),
    ),
    *choices(
        "permit",
        ("yes", "Yes", "Có", 1),
        ("no", "No", "Không", 0),
        (*DONT_KNOW, 0),
    ),
    *choices(
        "species",
        ("snakes", "Snakes", "Rắn"),
        ("turtles", "Turtles", "Rùa"),
        ("monitor_lizards", "Monitor lizards", "Kỳ đà"),
        ("pangolins", "Pangolins", "Tê tê"),
        ("bears", "Bears (bile, paws)", "Gấu (mật, bàn chân)"),
        ("tigers", "Tigers (bones, skins)", "Hổ (xương, da)"),
        ("orchids", "Orchids", "Phong lan"),
        ("birds", "Birds", "Chim"),
    ),
    *choices(
        "frequency",
        ("never", "Never", "Không bao giờ"),
        ("rarely", "Rarely", "Hiếm khi"),
        ("sometimes", "Sometimes", "Thỉnh thoảng"),
        ("often", "Often", "Thường xuyên"),
    ),
    *choices(
        "concealment",
        ("vehicles", "Hidden in cars, trucks and motorbikes", "Giấu trong ô tô, xe tải, xe máy"),
        ("body", "Carried by people (human mules)", "Thuê người mang vác qua biên giới"),
        ("luggage", "In luggage", "Trong hành lý"),
        ("boats", "By river boats", "Bằng thuyền trên sông"),
        ("unofficial", "Through unofficial crossings", "Qua đường mòn, lối mở"),
    ),
    *choices(
        "authority",
        ("env_police", "Environmental police", "Cảnh sát môi trường"),
        (
            "mard",
            "Ministry of Agriculture and Rural Development",
            "Bộ Nông nghiệp và Phát triển nông thôn",
        ),
        ("forest_protection", "Forest Protection Department", "Cục Kiểm lâm"),
        ("customs", "Customs", "Hải quan"),
    ),
    *choices(
        "wildlife_training",
        (
            "detection",
            "Detection of smuggling and smuggling techniques",
            "Phát hiện buôn lậu và thủ đoạn buôn lậu",
        ),
        ("species_id", "Wildlife identification", "Nhận dạng động vật hoang dã"),
        ("timber_id", "Timber identification", "Nhận dạng gỗ"),
        ("cites_permits", "CITES permits and certificates", "Giấy phép và chứng chỉ CITES"),
        ("live_animals", "Handling live animals", "Xử lý động vật sống"),
    ),
    *choices(
        "waste",
        ("lead_batteries", "Used lead-acid batteries", "Ắc quy chì axit đã qua sử dụng"),
        ("e_waste", "Electronic waste", "Rác thải điện tử"),
        ("medical", "Medical waste", "Chất thải y tế"),
        ("used_oil", "Used oil", "Dầu thải"),
        ("plastic_scrap", "Plastic scrap", "Phế liệu nhựa"),
    ),
    *choices(
        "ods",
        ("cfc", "CFCs (chlorofluorocarbons)", "CFC (chlorofluorocarbon)", 1),
        ("hcfc22", "HCFC-22", "HCFC-22", 1),
        ("halons", "Halons", "Halon", 1),
        ("methyl_bromide", "Methyl bromide", "Metyl bromua", 1),
        ("co2", "Carbon dioxide (CO2)", "Khí cacbonic (CO2)", 0),
        ("lpg", "LPG (a hydrocarbon)", "Khí hóa lỏng LPG (hydrocacbon)", 0),
    ),
    *choices(
        "shipment",
        ("detain", "Detain the shipment", "Tạm giữ lô hàng", 1),
        ("let_pass", "Let it pass", "Cho qua", 0),
        ("send_back", "Send it back", "Buộc quay lại", 0),
        (*DONT_KNOW, 0),
    ),
    *choices(
        "followup",
        (
            "contact_authorities",
            "Contact the competent authorities",
            "Liên hệ với cơ quan có thẩm quyền",
            1,
        ),
        ("destroy", "Destroy it", "Tiêu hủy", 0),
        ("release_after_fine", "Release it after a fine", "Cho qua sau khi xử phạt", 0),
        (*DONT_KNOW, 0),
    ),
    *choices(
        "ods_training",
        (
            "identification",
            "How to identify hazardous waste and ODS",
            "Cách nhận biết chất thải nguy hại và các chất làm suy giảm tầng ô-dôn",
        ),
        (
            "international_law",
            "International treaties and laws on their export and import",
            "Các điều ước và luật quốc tế về xuất nhập khẩu các chất này",
        ),
        (
            "national_law",
            "National legislation on their export and import",
            "Pháp luật quốc gia về xuất nhập khẩu các chất này",
        ),
        ("sampling", "Safe sampling and handling", "Lấy mẫu và xử lý an toàn"),
    ),
    *choices(
        "meetings",
        ("once_a_year", "Once a year", "Mỗi năm một lần"),
        ("times_2_5", "2-5 times a year", "2-5 lần mỗi năm"),
        ("times_6_9", "6-9 times a year", "6-9 lần mỗi năm"),
        ("times_10_12", "10-12 times a year", "10-12 lần mỗi năm"),
        ("more_than_12", "More than 12 times a year", "Hơn 12 lần mỗi năm"),
        ("no_regular", "No regular meetings", "Không họp định kỳ"),
    ),
    *choices(
        "threat",
        ("drugs", "Drug trafficking", "Buôn bán ma túy"),
        ("human_trafficking", "Human trafficking", "Mua bán người"),
        ("wildlife", "Wildlife smuggling", "Buôn lậu động vật hoang dã"),
        ("migrant_smuggling", "Migrant smuggling", "Đưa người di cư trái phép"),
        ("timber", "Timber smuggling", "Buôn lậu gỗ"),
        (
            "waste_ods",
            "Hazardous waste and ODS",
            "Chất thải nguy hại và các chất làm suy giảm tầng ô-dôn",
        ),
        ("goods", "Smuggling of goods", "Buôn lậu hàng hóa"),
    ),
    *choices(
        "equipment",
        (
            "forensic_kits",
            "Forensic (drug and precursor test) kits",
            "Bộ dụng cụ giám định ma túy, tiền chất",
        ),
        ("database", "Intelligence database", "Cơ sở dữ liệu tình báo"),
        ("vehicles", "Vehicles", "Phương tiện đi lại"),
        ("radios", "Radios and telephones", "Bộ đàm, điện thoại"),
        ("computers", "Computers", "Máy tính"),
        ("scanners", "X-ray scanners", "Máy soi chiếu"),
        ("night_vision", "Night-vision equipment", "Thiết bị nhìn đêm"),
    ),
    *choices(
        "training_need",
        (
            "not_needed_position",
            "Not needed for my position",
            "Không cần thiết cho vị trí công tác của tôi",
        ),
        (
            "already_trained",
            "Not needed, I have already received training",
            "Không cần, tôi đã được đào tạo",
        ),
        (
            "more_advanced",
            "Received training but require more advanced training",
            "Đã được đào tạo nhưng cần đào tạo nâng cao",
        ),
        ("require_training", "Require training", "Cần được đào tạo"),
    ),
    *choices(
        "integrity",
        (
            "let_pass_respectable",
            "Let him pass because he knows that Mr. Y is a respectable person",
            "Cho qua vì biết ông Y là người đàng hoàng",
            0,
        ),
        (
            "let_pass_warn",
            "Let him pass but tell him that next time he has to bring all of the valid papers",
            "Cho qua nhưng nhắc lần sau phải mang đầy đủ giấy tờ hợp lệ",
            0,
        ),
        (
            "inspect_then_decide",
            "Make a thorough inspection of Mr. Y's minivan and then decide whether or not to "
            "allow him to pass",
            "Kiểm tra kỹ xe của ông Y rồi mới quyết định có cho qua hay không",
            0,
        ),
        ("refuse", "Refuse him to pass", "Không cho qua", 1),
    ),
    *choices(
        "integrity_followup",
        (
            "right_thing",
            "Nothing: it is the right thing to do, especially after an inspection",
            "Không làm gì: đó là việc nên làm, nhất là khi đã kiểm tra xe",
        ),
        ("report", "Report Officer JK to the supervisor", "Báo cáo cán bộ JK với cấp trên"),
        ("talk", "Talk to Officer JK", "Trao đổi với cán bộ JK"),
        DONT_KNOW,
    ),
]

SETTINGS: list[Row] = [
    {
        "form_id": "patrol_tna_vn",
        "form_title": "PATROL training needs assessment",
        "version": "2010-08",
        "default_language": EN,
    }
]


def _sheet(workbook: Workbook, title: str, columns: list[str], rows: list[Row]) -> None:
    sheet = workbook.create_sheet(title)
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(column, "") or None for column in columns])


def build_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    _sheet(workbook, "survey", SURVEY_COLUMNS, SURVEY)
    _sheet(workbook, "choices", CHOICE_COLUMNS, CHOICES)
    _sheet(workbook, "settings", list(SETTINGS[0]), SETTINGS)
    return workbook


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else FORM_PATH
    build_workbook().save(target)
    print(target)


if __name__ == "__main__":
    main()
