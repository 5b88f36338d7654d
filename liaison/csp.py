"""The Content-Security-Policy for documents the app draws once and serves many times.

Every page gets ``settings.SECURE_CSP`` from Django's middleware, with a fresh nonce for any
inline ``<script>`` or ``<style>``. A stand-alone HTML report is different: it is drawn once,
kept in the reports cache and also downloaded to be read offline, so it cannot carry one
request's nonce. Its ``<style>`` blocks are allowed by their SHA-256 instead — exactly those
blocks, nothing injected later.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Collection

from django.conf import settings
from django.http import HttpResponse
from django.utils.csp import CSP, build_policy

_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def style_hashes(document: str) -> list[str]:
    """The CSP source expressions (``'sha256-…'``) of the document's ``<style>`` blocks."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"
        for block in _STYLE_BLOCK.findall(document)
    ]


def allow_document_styles(response: HttpResponse, document: str) -> HttpResponse:
    """Send the site's policy with the document's own style blocks allowed by hash."""
    config: dict[str, Collection[str] | str] = {
        directive: values
        for directive, values in settings.SECURE_CSP.items()
        if isinstance(values, str | list | tuple | set)
    }
    styles = config.get("style-src")
    sources = [str(v) for v in styles] if isinstance(styles, list | tuple | set) else [CSP.SELF]
    config["style-src"] = [v for v in sources if v != CSP.NONCE] + style_hashes(document)
    response[str(CSP.HEADER_ENFORCE)] = build_policy(config)
    return response
