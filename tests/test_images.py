"""hub.images: the kind and pixel size of JPEG, PNG and GIF files from their headers."""

from __future__ import annotations

import io
import struct

import pytest

from hub import images


def jpeg(width: int, height: int) -> bytes:
    """SOI, an APP0 segment, a fill byte, then a progressive frame header with the size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xff\xc2" + struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes(9)
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def png(width: int, height: int) -> bytes:
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + bytes(4)


def gif(width: int, height: int, version: bytes = b"89a") -> bytes:
    return b"GIF" + version + struct.pack("<HH", width, height) + bytes(3)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (jpeg(640, 480), ("jpeg", 640, 480)),
        (png(3, 2), ("png", 3, 2)),
        (gif(5, 7), ("gif", 5, 7)),
        (gif(9, 4, b"87a"), ("gif", 9, 4)),
    ],
)
def test_each_format_has_its_kind_mime_and_size(data: bytes, expected: tuple) -> None:
    assert images.kind(data) == expected[0]
    assert images.mime(images.kind(data)) == f"image/{expected[0]}"
    assert images.size_of(data) == expected
    assert images.size(io.BytesIO(data)) == expected
    assert images.EXTENSION[expected[0]] in (".jpg", ".png", ".gif")


@pytest.mark.parametrize("whole", [jpeg(640, 480), png(3, 2), gif(5, 7)])
def test_a_truncated_file_keeps_its_kind_but_has_no_size(whole: bytes) -> None:
    cut = whole[:9]  # the magic bytes are there, the size is not
    assert images.kind(cut) == images.kind(whole)
    assert images.size_of(cut) is None


def test_a_jpeg_that_ends_before_its_frame_has_no_size() -> None:
    assert images.size_of(b"\xff\xd8\xff\xe0\x00\x04\x00\x00\xff\xd9") is None


@pytest.mark.parametrize(
    "data", [b"", b"hello, world", b"<!doctype html><title>Not found</title>", b"GIF90a" + bytes(8)]
)
def test_a_non_image_has_no_kind_mime_or_size(data: bytes) -> None:
    assert images.kind(data) is None
    assert images.mime(images.kind(data)) is None
    assert images.size_of(data) is None


def test_zero_sides_are_no_size() -> None:
    assert images.size_of(png(0, 10)) is None and images.size_of(gif(10, 0)) is None


def test_content_type_falls_back_to_octet_stream() -> None:
    assert images.content_type(png(3, 2)) == "image/png"
    assert images.content_type(b"%PDF-1.7") == "application/octet-stream"
