"""The language switch: the language chosen, and the page to go back to."""

from __future__ import annotations

from flask import current_app, request, url_for
from wtforms import StringField

from pwa.steps import Form


class LanguageForm(Form):
    """A language the app speaks (anything else: Chinese), and where the switch was pressed."""

    lang = StringField(default="zh")
    next = StringField(default="")

    def language(self) -> str:
        lang = self.lang.data
        return lang if lang in current_app.config["LANGUAGES"] else "zh"

    def back(self) -> str:
        """Return the page to go back to: `next`, else the Referer, if it is one of ours."""
        back = self.next.data or request.referrer or url_for("public.index")
        if not back.startswith("/") or back.startswith("//"):
            back = url_for("public.index")
        return back
