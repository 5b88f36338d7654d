"""Printable PDFs of records, with the TLP label in every page's header and footer."""

from __future__ import annotations

from django.conf import settings


def render_record_pdf(html: str) -> bytes:
    from weasyprint import HTML

    # base_url lets WeasyPrint resolve the app's own static files; nothing is fetched remotely.
    document = HTML(string=html, base_url=str(settings.BASE_DIR))
    pdf: bytes = document.write_pdf()
    return pdf
