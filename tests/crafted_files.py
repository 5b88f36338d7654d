"""Hostile and broken files, built in memory, for the upload tests and the import fuzzer."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence

import openpyxl


def workbook(rows: Sequence[Sequence[object]], title: str = "seizures") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(raw: bytes, change: Callable[[str], str]) -> bytes:
    """The workbook with its first sheet's XML passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            target.writestr(info.filename, data)
    return out.getvalue()


def huge_dimension_workbook(header: list[str], *, declared: bool = True) -> bytes:
    """About 2 KB: a sheet declaring A1:XFD1048576 with one cell in its far corner."""

    def change(xml: str) -> str:
        xml = re.sub(
            r'<dimension ref="[^"]*"/>',
            '<dimension ref="A1:XFD1048576"/>' if declared else "",
            xml,
        )
        far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
        return xml.replace("</sheetData>", far + "</sheetData>")

    return rewrite_sheet(workbook([header]), change)


def zip_bomb(member: str = "bomb.txt", inflated: int = 101 * 1024 * 1024) -> bytes:
    """A zip whose one member inflates to ``inflated`` zero bytes (about 0.1% of it on disk)."""
    out = io.BytesIO()
    archive = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
    with archive, archive.open(member, "w", force_zip64=True) as handle:
        block = bytes(1024 * 1024)
        for _ in range(inflated // len(block)):
            handle.write(block)
    return out.getvalue()


def xlsx_bomb(header: list[str]) -> bytes:
    """A workbook whose sheet XML is padded with whitespace to inflate past the limits."""
    raw = workbook([header])
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                with target.open(info.filename, "w", force_zip64=True) as handle:
                    xml = source.read(info)
                    head, tail = xml.split(b"<sheetData>")
                    handle.write(head + b"<sheetData>")
                    block = b" " * (1024 * 1024)
                    for _ in range(110):
                        handle.write(block)
                    handle.write(tail)
            else:
                target.writestr(info.filename, source.read(info))
    return out.getvalue()


def lying_zip(content: bytes = b"<p>hello</p>" * 1000, claimed: int = 10) -> bytes:
    """A zip whose central directory says a member is ``claimed`` bytes long."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg/module.json", content)
    raw = bytearray(out.getvalue())
    central = raw.rfind(b"PK\x01\x02")
    # uncompressed size: offset 24 of the central directory entry
    raw[central + 24 : central + 28] = claimed.to_bytes(4, "little")
    local = raw.find(b"PK\x03\x04")
    raw[local + 22 : local + 26] = claimed.to_bytes(4, "little")
    return bytes(raw)


def doctype_workbook(header: list[str]) -> bytes:
    def change(xml: str) -> str:
        declaration = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>'
        if xml.startswith("<?xml"):
            return xml.replace("?>", "?>" + declaration, 1)
        return declaration + xml

    return rewrite_sheet(workbook([header]), change)
