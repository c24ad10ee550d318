"""Pledges' forms: writing and approving pledges, a rating, opening a round, and the
rectification plan's steps. The services check the values' meaning."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import InputRequired

from pwa.forms.work_orders import TextField
from pwa.steps import Form
from services.errors import InvalidInput
from services.pledges.rectification import MAX_ACTIONS, ActionLine

# Rows of the plan form: the page shows this many, empty ones are left out.
ACTION_ROWS = 5


class PledgeForm(Form):
    post_id = TextField(validators=[InputRequired(_l("Choose the post."))])
    period = TextField(validators=[InputRequired(_l("Choose a year or a quarter."))])
    code = TextField(validators=[InputRequired(_l("Write the year or the quarter."))])
    text = TextField(validators=[InputRequired(_l("Write at least one pledge, one a line."))])

    def post_number(self) -> int:
        if not str(self.post_id.data).isdigit():
            raise InvalidInput(_("Choose the post."))
        return int(self.post_id.data)


class RateForm(Form):
    rating_id = TextField(validators=[InputRequired(_l("Choose whom you rate."))])
    value = TextField(validators=[InputRequired(_l("Choose a rating from 1 to 5."))])

    def numbers(self) -> tuple[int, int]:
        if not (str(self.rating_id.data).isdigit() and str(self.value.data).isdigit()):
            raise InvalidInput(_("Choose a rating from 1 to 5."))
        return int(self.rating_id.data), int(self.value.data)


class QuarterForm(Form):
    quarter = TextField()


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(_("Choose %(what)s as a date.", what=what)) from None


class PlanForm(Form):
    """A plan: up to ACTION_ROWS actions (text_N, holder_N, due_N) and the re-check date."""

    grid = TextField(validators=[InputRequired(_l("Choose the grid."))])
    quarter = TextField(validators=[InputRequired(_l("Choose the quarter."))])
    recheck_on = TextField(validators=[InputRequired(_l("Choose the re-check date."))])

    def grid_number(self) -> int:
        if not str(self.grid.data).isdigit():
            raise InvalidInput(_("Choose the grid."))
        return int(self.grid.data)

    def recheck_day(self) -> date:
        return parse_day(str(self.recheck_on.data), _("the re-check"))

    def actions(self, values: dict[str, str]) -> list[ActionLine]:
        """The rows filled in; a row with words but no holder or deadline is refused."""
        lines: list[ActionLine] = []
        for n in range(1, MAX_ACTIONS + 1):
            text = values.get(f"text_{n}", "").strip()
            holder = values.get(f"holder_{n}", "").strip()
            due = values.get(f"due_{n}", "").strip()
            if not (text or holder or due):
                continue
            if not text:
                raise InvalidInput(_("Action %(n)d needs its words.", n=n))
            if not holder.isdigit():
                raise InvalidInput(_("Choose who does action %(n)d.", n=n))
            if not due:
                raise InvalidInput(_("Choose action %(n)d's deadline.", n=n))
            lines.append(ActionLine(text, int(holder), parse_day(due, _("the deadline"))))
        return lines


class DoneForm(Form):
    note = TextField(validators=[InputRequired(_l("Write what was done."))])


class ResultForm(Form):
    result = TextField(validators=[InputRequired(_l("Choose passed or not passed."))])
    comment = TextField(validators=[InputRequired(_l("Write a comment on the re-check."))])

    def passed(self) -> bool:
        if self.result.data not in ("passed", "not_passed"):
            raise InvalidInput(_("Choose passed or not passed."))
        return bool(self.result.data == "passed")
