"""The community's report-in QR code, made here with segno (pure Python): no service is asked
and nothing is downloaded, so the poster prints offline too."""

from __future__ import annotations

import io

import segno

# M (15 % of the code may be lost) holds against a creased or smudged printed poster; segno
# raises it further when the address leaves room in the same size.
ERROR_LEVEL = "m"
# The quiet zone a camera needs around the code, in modules (the standard's 4).
BORDER = 4


def join_qr(url: str) -> segno.QRCode:
    return segno.make_qr(url, error=ERROR_LEVEL)


def join_qr_svg(url: str, title: str = "") -> bytes:
    """The code as a standalone SVG with a viewBox and no fixed size: the page sizes it (a
    phone's width, or centimetres on the printed A4 poster) and it stays sharp."""
    out = io.BytesIO()
    join_qr(url).save(
        out,
        kind="svg",
        scale=1,
        border=BORDER,
        omitsize=True,
        xmldecl=False,
        title=title or None,
        dark="#000",
        light="#fff",
    )
    return out.getvalue()
