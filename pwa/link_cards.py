"""Cards of links rendered once per process, then reused.

A staff home lists some thirty pages; building each link (`url_for`) and translating each
label on every request was about a quarter of the calls the secretary's home made, for HTML
that depends only on the language, the community and which links this person may see.
`link_card` renders such a card the first time a combination is asked for and keeps the HTML.

Everything a card shows must come from its arguments, the language and the app's URL
prefix: a card holds no CSRF token, no name, no count (those stay in the page around it).
"""

from __future__ import annotations

from collections.abc import Hashable

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

# Communities × languages × which links one may see: a district has a few hundred. A full
# cache starts over rather than grow.
LIMIT = 4096

EXTENSION = "linli_link_cards"


def link_card(template: str, **values: Hashable) -> Markup:
    """Return the card `template` rendered with `values`, from the cache when it is there."""
    if current_app.jinja_env.auto_reload:  # templates being edited: always fresh
        return Markup(render_template(template, **values))
    kept: dict[tuple[Hashable, ...], Markup] = current_app.extensions[EXTENSION]
    key = (template, str(get_locale()), request.script_root, *sorted(values.items()))
    card = kept.get(key)
    if card is None:
        card = Markup(render_template(template, **values))
        if len(kept) >= LIMIT:
            kept.clear()
        kept[key] = card
    return card


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = {}
    app.add_template_global(link_card)
