"""Uploaded photos: checked to be real images, stripped of metadata, resized, kept in the DB.

Any feature that takes a photo (wishes, work orders) calls save_photo() and decides itself who
may see the result; pwa.rendering.photo() then serves the bytes. Photos live in the database so
that every web process can serve them without a shared disk.
"""

from __future__ import annotations

import io
import warnings
from typing import IO, Protocol

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from models import Person, Photo, db, utcnow
from services.errors import InvalidInput

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 10 * MB
MAX_SIDE = 1600
# Refuse images that would unpack into a huge bitmap (a "decompression bomb").
MAX_PIXELS = 50_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "MPO"}
JPEG_QUALITY = 85


class Upload(Protocol):
    """What save_photo() needs of an upload: werkzeug's FileStorage has it."""

    @property
    def stream(self) -> IO[bytes]: ...


def _too_large() -> InvalidInput:
    return InvalidInput(
        _("The photo is larger than %(mb)s MB. Take a smaller one and try again.", mb=10)
    )


def _read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read at most limit bytes; refuse a larger stream without reading the rest."""
    try:
        # Werkzeug spools big uploads to a temporary file: its size is known without reading.
        here = stream.tell()
        stream.seek(0, io.SEEK_END)
        size = stream.tell() - here
        stream.seek(here)
        if size > limit:
            raise _too_large()
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    return data


def save_photo(
    file: Upload | IO[bytes], *, by: Person | None = None, max_bytes: int = MAX_UPLOAD_BYTES
) -> Photo:
    """Check, clean and store an uploaded image; raise InvalidInput for anything else."""
    stream: IO[bytes] = file.stream if hasattr(file, "stream") else file
    data = _read_limited(stream, max_bytes)
    if not data:
        raise InvalidInput(_("The photo is empty. Choose a picture and try again."))
    not_an_image = InvalidInput(
        _("That file is not a picture we can read. Send a JPEG or PNG photo.")
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_an_image
                if probe.width * probe.height > MAX_PIXELS:
                    raise _too_large()
                probe.verify()
            # verify() leaves the image unusable: open it again to decode it.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                cleaned = _clean(image)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as error:
        raise not_an_image from error
    photo = Photo(
        content_type=cleaned[0],
        data=cleaned[1],
        width=cleaned[2],
        height=cleaned[3],
        size_bytes=len(cleaned[1]),
        uploaded_by_id=by.id if by is not None else None,
        created_at=utcnow(),
    )
    db.session.add(photo)
    db.session.flush()
    return photo


def _clean(image: Image.Image) -> tuple[str, bytes, int, int]:
    """Return (content type, bytes, width, height) of the image upright, resized, no metadata."""
    # Turn the pixels the way the camera meant, since the EXIF that said so is dropped.
    upright = ImageOps.exif_transpose(image) or image
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    converted = upright.convert("RGBA" if has_alpha else "RGB")
    converted.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # A fresh save carries no EXIF, GPS or text chunks unless asked to.
    if has_alpha:
        converted.save(out, format="PNG", optimize=True)
        content_type = "image/png"
    else:
        converted.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type = "image/jpeg"
    return content_type, out.getvalue(), converted.width, converted.height
