"""Long lists come a page at a time: the page number from the query string, and the links.

A page number that is not a number, or below 1, means the first page; one past the end
shows an empty page that says so and links back to the first (never a 500). The "more" link
keeps every other argument of the request (the list's filters) and, with htmx, brings the
next rows in place of itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for

PAGE_SIZE = 50
# Beyond this the offset is not worth the database's time: nobody pages that far by hand.
LAST_PAGE = 10_000


def page_number(name: str = "page") -> int:
    """Return the page asked for, 1 when the argument is missing or not a page number."""
    raw = request.args.get(name, "").strip()
    if not raw.isdigit():
        return 1
    return min(max(int(raw), 1), LAST_PAGE)


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_more(self) -> bool:
        return self.number < self.pages

    @property
    def past_the_end(self) -> bool:
        return self.number > self.pages

    @property
    def shown_to(self) -> int:
        """The position of the last row on this page (1-based), for "1–50 of 1,200"."""
        return min(self.total, self.number * self.size)

    def url(self, number: int) -> str:
        """This page's URL with another page number, every other argument kept."""
        args: dict[str, Any] = request.args.to_dict(flat=False)
        args.pop("page", None)
        if number > 1:
            args["page"] = [str(number)]
        return url_for(str(request.endpoint), **(request.view_args or {}), **args)

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.has_more else None

    @property
    def first_url(self) -> str:
        return self.url(1)


def wants_more_rows() -> bool:
    """Whether htmx asks for the next rows only (the "more" link), not the whole list."""
    return bool(request.headers.get("HX-Request")) and page_number() > 1
