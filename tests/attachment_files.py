"""Files for the attachment tests, built with Pillow: photos with and without a location, a
damaged one, a decompression bomb, a PDF."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

# Moc Bai's international checkpoint, as a phone writes it (degrees, minutes, seconds).
LATITUDE = (11.0, 4.0, 48.0)
LONGITUDE = (106.0, 12.0, 36.0)


def photo_with_location(
    size: tuple[int, int] = (800, 600), *, orientation: int = 6, colour: str = "red"
) -> bytes:
    """A JPEG with EXIF: camera make, orientation and a GPS position."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "FieldPhone"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = LONGITUDE
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif)
    return output.getvalue()


def gps_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def photo(fmt: str = "PNG", size: tuple[int, int] = (64, 48), mode: str = "RGB") -> bytes:
    output = io.BytesIO()
    Image.new(mode, size, "blue").save(output, fmt)
    return output.getvalue()


def damaged_jpeg() -> bytes:
    """A JPEG cut off half-way: its header opens, its pixels do not decode."""
    whole = photo("JPEG", (400, 300))
    return whole[: len(whole) // 2]


def decompression_bomb(side: int = 100_000) -> bytes:
    """A PNG of a few hundred bytes whose header claims side × side pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    pixels = zlib.compress(row * 16, 9)  # the first rows only: decoding stops long before
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
