"""The Q&A sessions of the 2010 baseline, as the assessment report records them.

Source: *PATROL Training Needs Assessment, Viet Nam* (UNODC, survey of 17–19 August 2010),
§2.2 (the two workshops of 18 August 2010) and §3.3 *Q&A Sessions*. At Dien Bien the questions
were put to the Deputy Director of the Provincial Police as head of BLO; at Moc Bai to the
participants who had filled the questionnaire. The sessions were held in Vietnamese; the report
records the answers in English, so the notes are English; the Vietnamese beside them is
Liaison's translation for the demo, not the report's.

The report gives the answers of both sessions under each question without saying which session
gave which. The demo keeps each point word for word and files it under the session it speaks of:
the points about Dien Bien, the Laotian border and the BLOs' role and mandate (the head of BLO's
questions) under Dien Bien; those about the Cambodian border, vehicle searches, patrols and
Cambodia under Moc Bai.
"""

from __future__ import annotations

import datetime

from liaison.registry.models import BLO
from liaison.surveys.models import SessionKind, SurveyRound
from liaison.surveys.services import (
    SessionData,
    do_add_code,
    do_add_guide_question,
    do_code_passage,
    do_record_note,
    do_record_session,
)

SOURCE = "PATROL Training Needs Assessment, Viet Nam (UNODC, August 2010), §3.3 Q&A Sessions"
HELD_ON = datetime.date(2010, 8, 18)
INTERVIEWER = "PATROL Assessment Team (UNODC, SODC, Freeland Foundation, TRAFFIC, UNEP)"

# The guide: the questions of §3.3, in English (the report) and Vietnamese.
GUIDE: tuple[dict[str, str], ...] = (
    {
        "en": "How important are the Border Liaison Offices for border security?",
        "vi": "Các Văn phòng liên lạc biên giới (BLO) quan trọng như thế nào đối với an ninh "
        "biên giới?",
    },
    {
        "en": "How do you consider the expansion of the BLO mandate beyond drugs?",
        "vi": "Anh/chị đánh giá thế nào về việc mở rộng nhiệm vụ của BLO ra ngoài lĩnh vực ma túy?",
    },
    {
        "en": "What are the main constraints of the BLOs?",
        "vi": "Những khó khăn, hạn chế chính của các BLO là gì?",
    },
    {
        "en": "How often do you meet your counterparts across the border?",
        "vi": "Anh/chị gặp đối tác bên kia biên giới thường xuyên đến mức nào?",
    },
    {
        "en": "How can UNODC and the PATROL project support the BLOs?",
        "vi": "UNODC và dự án PATROL có thể hỗ trợ các BLO như thế nào?",
    },
    {
        "en": "What happens at the BLOs – are trucks/cars regularly searched?",
        "vi": "Tại các BLO, xe tải/ô tô có được khám xét thường xuyên không?",
    },
    {
        "en": "How do you decide whether or not to search a vehicle?",
        "vi": "Anh/chị quyết định có khám xét một phương tiện hay không dựa trên cơ sở nào?",
    },
    {
        "en": "What is the biggest challenge to interdict smuggling?",
        "vi": "Thách thức lớn nhất trong việc ngăn chặn buôn lậu là gì?",
    },
    {
        "en": "Are there regular patrols across the border?",
        "vi": "Có tuần tra thường xuyên dọc biên giới không?",
    },
    {
        "en": "Do you ever get information about people smuggling from Cambodia?",
        "vi": "Anh/chị có bao giờ nhận được thông tin về đưa người di cư trái phép từ "
        "Campuchia không?",
    },
)

# Notes per session: guide question number (1-based) → the report's points, one per line.
DIEN_BIEN_NOTES: dict[int, str] = {
    1: "- Before the establishment of BLOs there was little international cooperation. The "
    "exchange of information took place only through official meeting and forms.\n"
    "- After the establishment of BLOs, cooperation has increased and both parts of the border "
    "started to exchange information more effectively. The BLOs are important mechanism for "
    "effective cross border cooperation.\n"
    "- In the case of the Dien Bien, 29 cases of drug trafficking have been successfully "
    "investigated, through a cooperation with the counterparts in Lao PDR. On the other hand, "
    "the cooperation with the counterparts in China still needs significant improvement.",
    2: "- The expansion of the mandate of the BLOs to other crimes such as human trafficking is "
    "not a new idea, as this concept was already discussed in the past\n"
    "- The expansion of the mandate is necessary, especially in the field of human trafficking, "
    "as increasingly children and women are coercively brought to neighbouring countries.\n"
    "- Yet, the expansion of the mandate has to be progressive and proportional to the current "
    "availability of resources of the law enforcement\n"
    "- Trainings in new areas will help giving a broader understanding of the different TOC "
    "threats. The trainings should be separated into modules on the different crimes.",
    3: "- Communication problems (language).\n- Lack of equipment\n- Lack of training programmes",
    4: "- In the case of the BLOs operating at the Laotian border, official meetings among police "
    "agencies take place every month.",
    5: "- Language courses to improve the exchange of information and collaboration with "
    "counterpart.\n"
    "- Provision of training materials for new mandated areas, including Computer-Based "
    "Training Modules.\n"
    "- More training and capacity building.\n"
    "- Study visits for border officers to go to other countries to learn form other BLOs and "
    "countries and how the BLOs operate and cooperate in such countries.\n"
    "- Provision of a qualification (with certificate and badges) for BLO officers to guarantee "
    "that all the border officers (in all countries) have a good understanding of main TOC "
    "threats.",
}
MOC_BAI_NOTES: dict[int, str] = {
    4: "- In the case of the BLOs operating at the Cambodian border official meetings with "
    "counterparts take place approximately every 3 months (or 6 months at provincial level). "
    "Yet, unofficial exchange of information with counterparts usually happens on a daily "
    "basis. When cases need official investigations official documents must be made.",
    6: "- Customs and Border Army can search the trucks. Nonetheless, all enforcement in border "
    "area can open a container if they have received information on an illegal shipment.",
    7: "- Experience and past knowledge/profiling.",
    8: "- Use of non official checkpoints.\n- Smuggling through river and small roads.",
    9: "- There are checkpoints in some areas – however the areas between checkpoint are really "
    "large and it is difficult to control them. Checkpoints are permanent. There are no "
    "patrols.",
    10: "- There are usually too many people travelling across the borders on a daily basis for "
    "the Cambodian authorities to check thoroughly this flow. They normally only stamp the "
    "passports.\n- No information sharing on people smuggling as of yet.",
}

# Liaison's Vietnamese translation of the notes, point by point.
DIEN_BIEN_VI: dict[int, str] = {
    1: "- Trước khi thành lập các BLO, hợp tác quốc tế còn rất hạn chế. Việc trao đổi thông tin "
    "chỉ diễn ra qua các cuộc họp chính thức và bằng văn bản.\n"
    "- Sau khi thành lập các BLO, hợp tác đã tăng lên và hai bên biên giới bắt đầu trao đổi "
    "thông tin hiệu quả hơn. Các BLO là cơ chế quan trọng cho hợp tác xuyên biên giới hiệu quả.\n"
    "- Tại Điện Biên, 29 vụ buôn bán ma túy đã được điều tra thành công nhờ hợp tác với các đối "
    "tác tại Lào. Mặt khác, hợp tác với các đối tác tại Trung Quốc vẫn cần được cải thiện "
    "đáng kể.",
    2: "- Việc mở rộng nhiệm vụ của các BLO sang các loại tội phạm khác như mua bán người không "
    "phải là ý tưởng mới, vì vấn đề này đã được thảo luận trước đây.\n"
    "- Việc mở rộng nhiệm vụ là cần thiết, đặc biệt trong lĩnh vực mua bán người, vì ngày càng "
    "có nhiều trẻ em và phụ nữ bị cưỡng ép đưa sang các nước láng giềng.\n"
    "- Tuy nhiên, việc mở rộng nhiệm vụ phải từng bước và tương xứng với nguồn lực hiện có của "
    "lực lượng thực thi pháp luật.\n"
    "- Đào tạo về các lĩnh vực mới sẽ giúp hiểu rộng hơn về các mối đe dọa của tội phạm có tổ "
    "chức xuyên quốc gia. Các khóa đào tạo nên được chia thành các học phần theo từng loại "
    "tội phạm.",
    3: "- Khó khăn trong giao tiếp (ngôn ngữ).\n- Thiếu trang thiết bị.\n"
    "- Thiếu các chương trình đào tạo.",
    4: "- Đối với các BLO hoạt động tại biên giới với Lào, các cuộc họp chính thức giữa các cơ "
    "quan công an diễn ra hằng tháng.",
    5: "- Các khóa học ngoại ngữ để cải thiện việc trao đổi thông tin và hợp tác với đối tác.\n"
    "- Cung cấp tài liệu đào tạo cho các lĩnh vực nhiệm vụ mới, bao gồm các học phần đào tạo "
    "trên máy tính (CBT).\n"
    "- Tăng cường đào tạo và nâng cao năng lực.\n"
    "- Các chuyến tham quan học tập để cán bộ biên giới sang các nước khác học hỏi cách các BLO "
    "ở đó hoạt động và hợp tác.\n"
    "- Cấp chứng chỉ (kèm giấy chứng nhận và phù hiệu) cho cán bộ BLO để bảo đảm mọi cán bộ biên "
    "giới (ở tất cả các nước) hiểu rõ các mối đe dọa chính của tội phạm có tổ chức xuyên quốc "
    "gia.",
}
MOC_BAI_VI: dict[int, str] = {
    4: "- Đối với các BLO hoạt động tại biên giới với Campuchia, các cuộc họp chính thức với đối "
    "tác diễn ra khoảng 3 tháng một lần (hoặc 6 tháng một lần ở cấp tỉnh). Tuy nhiên, việc trao "
    "đổi thông tin không chính thức với đối tác thường diễn ra hằng ngày. Khi vụ việc cần điều "
    "tra chính thức thì phải lập văn bản chính thức.",
    6: "- Hải quan và Bộ đội Biên phòng có thể khám xét xe tải. Tuy nhiên, mọi lực lượng thực thi "
    "pháp luật ở khu vực biên giới đều có thể mở container nếu nhận được thông tin về một lô "
    "hàng bất hợp pháp.",
    7: "- Dựa vào kinh nghiệm và hiểu biết trước đây/lập hồ sơ đối tượng.",
    8: "- Sử dụng các lối mở không chính thức.\n- Buôn lậu qua đường sông và đường mòn nhỏ.",
    9: "- Có các trạm kiểm soát ở một số khu vực – tuy nhiên khu vực giữa các trạm rất rộng và "
    "khó kiểm soát. Các trạm kiểm soát là cố định. Không có tuần tra.",
    10: "- Thường có quá nhiều người qua lại biên giới hằng ngày nên phía Campuchia không thể "
    "kiểm tra kỹ dòng người này. Họ thường chỉ đóng dấu hộ chiếu.\n"
    "- Đến nay chưa có chia sẻ thông tin về đưa người di cư trái phép.",
}

# The codebook, and the passages coded: (code, session, question number, quoted excerpt).
CODES: dict[str, str] = {
    "constraint: language": "Language as a barrier to working with counterparts",
    "constraint: equipment": "Lack of equipment",
    "constraint: training": "Lack of training, or training asked for",
    "cooperation with China": "Cooperation with counterparts in China",
    "cooperation with Lao PDR": "Cooperation with counterparts in Lao PDR",
    "mandate: human trafficking": "Extending the BLO mandate to human trafficking",
    "informal exchange": "Information exchanged outside official meetings",
    "smuggling off the crossings": "Smuggling away from the official crossings",
}
DIEN_BIEN = "VN-DIENBIEN"
MOC_BAI = "VN-MOCBAI"
PASSAGES: tuple[tuple[str, str, int, str], ...] = (
    ("constraint: language", DIEN_BIEN, 3, "Communication problems (language)."),
    (
        "constraint: language",
        DIEN_BIEN,
        5,
        "Language courses to improve the exchange of information and collaboration with "
        "counterpart.",
    ),
    ("constraint: equipment", DIEN_BIEN, 3, "Lack of equipment"),
    ("constraint: training", DIEN_BIEN, 3, "Lack of training programmes"),
    ("constraint: training", DIEN_BIEN, 5, "More training and capacity building."),
    (
        "cooperation with China",
        DIEN_BIEN,
        1,
        "the cooperation with the counterparts in China still needs significant improvement.",
    ),
    (
        "cooperation with Lao PDR",
        DIEN_BIEN,
        1,
        "29 cases of drug trafficking have been successfully investigated, through a "
        "cooperation with the counterparts in Lao PDR.",
    ),
    (
        "cooperation with Lao PDR",
        DIEN_BIEN,
        4,
        "official meetings among police agencies take place every month.",
    ),
    (
        "mandate: human trafficking",
        DIEN_BIEN,
        2,
        "The expansion of the mandate is necessary, especially in the field of human "
        "trafficking, as increasingly children and women are coercively brought to "
        "neighbouring countries.",
    ),
    (
        "informal exchange",
        MOC_BAI,
        4,
        "unofficial exchange of information with counterparts usually happens on a daily basis.",
    ),
    ("smuggling off the crossings", MOC_BAI, 8, "Use of non official checkpoints."),
    ("smuggling off the crossings", MOC_BAI, 8, "Smuggling through river and small roads."),
)


def load_baseline_qa(baseline: SurveyRound) -> None:
    """Give the baseline round its guide, two sessions, notes, codebook and coded passages
    (once: a round that has sessions already is left as it is)."""
    if baseline.qa_sessions.exists():
        return
    blos = {blo.code: blo for blo in BLO.objects.filter(code__in=(DIEN_BIEN, MOC_BAI))}
    if set(blos) != {DIEN_BIEN, MOC_BAI}:
        return
    guide = [do_add_guide_question(baseline, texts, actor=None) for texts in GUIDE]
    sessions = {
        DIEN_BIEN: do_record_session(
            baseline,
            SessionData(
                held_on=HELD_ON,
                blo=blos[DIEN_BIEN],
                kind=SessionKind.HEAD_OF_BLO,
                interviewer=INTERVIEWER,
                language="en",
                participants=[
                    {
                        "role": "Head of BLO (Deputy Director of the Provincial Police)",
                        "agency": "Provincial Police",
                    }
                ],
                source=SOURCE,
            ),
            actor=None,
        ),
        MOC_BAI: do_record_session(
            baseline,
            SessionData(
                held_on=HELD_ON,
                blo=blos[MOC_BAI],
                kind=SessionKind.GROUP,
                interviewer=INTERVIEWER,
                language="en",
                participants=[
                    {
                        "role": "The 16 officers who filled the questionnaire (Moc Bai, Song "
                        "Tien and Long Binh BLOs)",
                        "agency": "",
                    }
                ],
                source=SOURCE,
            ),
            actor=None,
        ),
    }
    notes = {}
    for code, by_question, translated in (
        (DIEN_BIEN, DIEN_BIEN_NOTES, DIEN_BIEN_VI),
        (MOC_BAI, MOC_BAI_NOTES, MOC_BAI_VI),
    ):
        for number, text in by_question.items():
            notes[code, number] = do_record_note(
                sessions[code],
                guide[number - 1],
                text=text,
                translation=translated[number],
                translation_language="vi",
                actor=None,
            )
    codebook = {
        name: do_add_code(baseline, name, description=description, actor=None)
        for name, description in CODES.items()
    }
    for name, blo_code, number, quote in PASSAGES:
        do_code_passage(codebook[name], note=notes[blo_code, number], quote=quote, actor=None)
