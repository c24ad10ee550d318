"""Uploaded photos: real images only, size-limited, resized, metadata stripped."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from models import Photo, db
from services import photos
from services.errors import InvalidInput


def _jpeg(width: int, height: int, *, exif_gps: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
        exif[0x8825] = {1: "N", 2: (30.0, 1.0, 2.0)}  # GPS
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def _count() -> int:
    return int(db.session.scalar(select(func.count(Photo.id))) or 0)


def test_a_big_photo_is_resized_upright_and_stripped_of_exif(ctx: None) -> None:
    photo = photos.save_photo(io.BytesIO(_jpeg(3000, 2000, exif_gps=True)))
    assert photo.content_type == "image/jpeg"
    # Orientation 6 turns the 3000×2000 landscape into a portrait, then 1600 px at most.
    assert (photo.width, photo.height) == (1067, 1600)
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.size == (1067, 1600)
    assert not stored.getexif()  # no camera, orientation or GPS left
    assert b"PhoneMaker" not in photo.data
    assert photo.size_bytes == len(photo.data)


def test_a_transparent_png_stays_png(ctx: None) -> None:
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    photo = photos.save_photo(io.BytesIO(out.getvalue()))
    assert photo.content_type == "image/png"
    assert (photo.width, photo.height) == (40, 30)


@pytest.mark.parametrize(
    "payload",
    [
        b"%PDF-1.4 not a picture at all",
        b"<script>alert(1)</script>",
        _jpeg(50, 50)[:200],  # a truncated JPEG
        b"",
    ],
)
def test_anything_but_a_readable_image_is_refused_and_nothing_stored(
    ctx: None, payload: bytes
) -> None:
    with pytest.raises(InvalidInput) as refused:
        photos.save_photo(io.BytesIO(payload))
    assert refused.value.message
    assert _count() == 0


def test_an_upload_over_the_limit_is_refused_before_it_is_read(ctx: None) -> None:
    class Counting(io.BytesIO):
        read_bytes = 0

        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            Counting.read_bytes += len(data)
            return data

    big = Counting(b"\xff" * (photos.MAX_UPLOAD_BYTES + 10))
    with pytest.raises(InvalidInput) as refused:
        photos.save_photo(big)
    assert "10 MB" in refused.value.message
    assert Counting.read_bytes == 0  # its size was seen without reading it
    assert _count() == 0


def test_a_decompression_bomb_is_refused(ctx: None) -> None:
    # A tiny PNG file that claims 10,000 × 10,000 pixels.
    image = Image.new("1", (10_000, 10_000))
    out = io.BytesIO()
    image.save(out, format="PNG")
    assert len(out.getvalue()) < 200_000
    with pytest.raises(InvalidInput):
        photos.save_photo(io.BytesIO(out.getvalue()))
    assert _count() == 0
