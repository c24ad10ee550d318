"""Draw the app icons (a white house on a red rounded square) as PNG files, with only the stdlib.

Run once after changing the design: `python pwa/static/icons/make_icons.py`. The PNGs are
committed; nothing runs this at build or request time.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

RED = (0xB3, 0x26, 0x1E)
WHITE = (0xFF, 0xFF, 0xFF)
# Samples per pixel side: smooth edges without an imaging library.
SUPERSAMPLE = 4

Shape = Callable[[float, float], bool]

# The house outline in unit coordinates (0..1, y down): roof apex, eaves, walls.
HOUSE = [
    (0.50, 0.18),
    (0.84, 0.49),
    (0.75, 0.49),
    (0.75, 0.81),
    (0.25, 0.81),
    (0.25, 0.49),
    (0.16, 0.49),
]
DOOR = (0.42, 0.58, 0.58, 0.81)  # left, top, right, bottom


def _inside_polygon(points: list[tuple[float, float]], x: float, y: float) -> bool:
    """Even-odd rule: count the edges a ray to the right crosses."""
    inside = False
    j = len(points) - 1
    for i, (xi, yi) in enumerate(points):
        xj, yj = points[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _rounded_square(radius: float) -> Shape:
    def shape(x: float, y: float) -> bool:
        cx = min(max(x, radius), 1 - radius)
        cy = min(max(y, radius), 1 - radius)
        return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2

    return shape


def _house(scale: float) -> Shape:
    """Return the white mark, shrunk by `scale` around the centre (maskable icons need room)."""

    def shape(x: float, y: float) -> bool:
        ux = (x - 0.5) / scale + 0.5
        uy = (y - 0.5) / scale + 0.5
        left, top, right, bottom = DOOR
        in_door = left <= ux <= right and top <= uy <= bottom
        return _inside_polygon(HOUSE, ux, uy) and not in_door

    return shape


def render(size: int, background: Shape, mark: Shape) -> bytes:
    """Return RGBA rows: red where the background is, white where the mark is, else clear."""
    rows = bytearray()
    step = 1 / (size * SUPERSAMPLE)
    total = SUPERSAMPLE * SUPERSAMPLE
    for py in range(size):
        rows.append(0)  # PNG filter type: none
        for px in range(size):
            bg = fg = 0
            for sy in range(SUPERSAMPLE):
                y = (py * SUPERSAMPLE + sy + 0.5) * step
                for sx in range(SUPERSAMPLE):
                    x = (px * SUPERSAMPLE + sx + 0.5) * step
                    if background(x, y):
                        bg += 1
                        if mark(x, y):
                            fg += 1
            if bg == 0:
                rows += b"\x00\x00\x00\x00"
                continue
            share = fg / bg
            rows += bytes(round(r + (w - r) * share) for r, w in zip(RED, WHITE, strict=True))
            rows.append(round(255 * bg / total))
    return bytes(rows)


def png(size: int, rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    here = Path(__file__).resolve().parent
    everywhere: Shape = lambda x, y: True  # noqa: E731
    icons = {
        "icon-192.png": (192, _rounded_square(0.2), _house(1.0)),
        "icon-512.png": (512, _rounded_square(0.2), _house(1.0)),
        # Maskable: full bleed, the mark inside the central safe circle (radius 40%).
        "icon-maskable-512.png": (512, everywhere, _house(0.72)),
    }
    for name, (size, background, mark) in icons.items():
        (here / name).write_bytes(png(size, render(size, background, mark)))
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
