"""The certificate, and the module certificate of a completion, as bilingual PDFs (WeasyPrint),
with their verification code and a QR code of the public verification address. Fonts are the
system's (DejaVu/Noto): nothing is fetched."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.template.loader import render_to_string
from django.utils import translation

from liaison.training.models import Certificate, Completion, TrainingModule

# The certificate is read on both sides of the border: Vietnamese first, then English.
CERTIFICATE_LANGUAGES = ("vi", "en")


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def certificate_context(certificate: Certificate, verify_url: str) -> dict[str, object]:
    qualification = certificate.qualification
    titles = {m.code: m for m in TrainingModule.objects.filter(code__in=list(certificate.scores))}
    blocks = []
    for lang in CERTIFICATE_LANGUAGES:
        blo_name = ""
        if certificate.blo is not None:
            with translation.override(lang):
                blo_name = certificate.blo.display_name
        blocks.append(
            {
                "lang": lang,
                "title": qualification.text("title", lang),
                "description": qualification.text("description", lang),
                "blo": blo_name,
            }
        )
    return {
        "certificate": certificate,
        "blocks": blocks,
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url),
        "modules": [
            {
                "titles": " / ".join(
                    t
                    for t in (titles[code].text("title", lang) for lang in CERTIFICATE_LANGUAGES)
                    if t
                )
                if code in titles
                else code,
                "score": score,
            }
            for code, score in sorted(certificate.scores.items())
        ],
    }


def render_certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    html = render_to_string(
        "training/certificate_pdf.html", certificate_context(certificate, verify_url)
    )
    from weasyprint import HTML  # a second to import: only when a PDF is drawn

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def module_certificate_context(
    completion: Completion, holder: str, verify_url: str
) -> dict[str, object]:
    """What the module certificate shows, in Vietnamese and English (print page and PDF)."""
    blocks = []
    for lang in CERTIFICATE_LANGUAGES:
        blo_name = ""
        if completion.blo is not None:
            with translation.override(lang):
                blo_name = completion.blo.display_name
        blocks.append(
            {"lang": lang, "title": completion.module.text("title", lang), "blo": blo_name}
        )
    return {
        "completion": completion,
        "holder": holder,
        "blocks": blocks,
        "verify_url": verify_url,
        "qr": qr_data_uri(verify_url),
    }


def render_module_certificate_pdf(completion: Completion, holder: str, verify_url: str) -> bytes:
    html = render_to_string(
        "training/module_certificate_pdf.html",
        module_certificate_context(completion, holder, verify_url),
    )
    from weasyprint import HTML  # a second to import: only when a PDF is drawn

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
