"""The language switch: the language chosen, and the page to go back to."""

from __future__ import annotations

from flask import current_app, url_for
from wtforms import StringField

from pwa.redirects import back_target
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
        return back_target(self.next.data, url_for("public.index"))
