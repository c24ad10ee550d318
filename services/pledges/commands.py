"""A household's 1-5 rating of its heads' pledges by a bare digit, by SMS or Telegram.

The question carries no code, so the answerer says when a rating question was last asked of
the sender's phone; if it is the latest question of any feature, the digit is its answer. A
digit out of 1-5 gets the scale again; a second digit replaces the rating while the round is
open (the latest answer counts); after it closes the sender is told so.
"""

from __future__ import annotations

from datetime import timedelta

from models import PledgeRating
from models.clock import today_of
from notify.commands import Inbound, Reply
from notify.replies import Answerer, Question
from services.errors import DomainError
from services.pledges import operations
from services.pledges.queries import ROLE_ZH, is_open

# For a week after a round closes a digit is still taken as an answer to it (and told so).
CLOSED_GRACE = timedelta(days=7)


def _answer(rating: PledgeRating, message: Inbound, value: int) -> Reply:
    today = today_of(message.now)
    if not 1 <= value <= 5:
        return Reply("pledge_rate_invalid")
    if not is_open(rating.round, today):
        return Reply("pledge_rate_closed", {"closed": rating.round.closes_on.strftime("%m-%d")})
    try:
        operations.rate(
            rating, value, by=message.person, via=message.channel, now=message.now, today=today
        )
    except DomainError:
        return Reply("pledge_rate_invalid")
    following = operations.ask_next(rating, message.now)
    if following is None:
        return Reply("pledge_rated", {"rating": value})
    return Reply(
        "pledge_rated_next",
        {
            "rating": value,
            "post": ROLE_ZH.get(following.post.role, ""),
            "name": following.post.person.name,
        },
    )


def _question(message: Inbound) -> Question | None:
    phones = {p for p in (message.phone, message.person.phone if message.person else None) if p}
    rating = operations.latest_question(phones)
    if rating is None or rating.asked_at is None:
        return None
    if today_of(message.now) >= rating.round.closes_on + CLOSED_GRACE:
        return None  # long closed: the digit is no answer to it
    found = rating

    def answer(inbound: Inbound, value: int) -> Reply:
        return _answer(found, inbound, value)

    return Question(asked_at=rating.asked_at, answer=answer)


# A bare "1"-"5" from a household's phone rates the post it was last asked about.
ANSWERERS: tuple[tuple[str, Answerer], ...] = (("pledges", _question),)
