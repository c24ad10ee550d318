"""Signing in with a phone number and a one-time code sent by SMS."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, func, select, update

from models import Household, Person, Resident, SignInCode, db
from notify import Message, send_later
from services.errors import InvalidInput, RateLimited


@dataclass(frozen=True)
class SignInPolicy:
    secret_key: str
    code_minutes: int = 10
    max_tries: int = 5
    # (count, seconds): at most `count` codes per phone in any `seconds`.
    phone_limits: tuple[tuple[int, int], ...] = ((1, 60), (5, 3600), (10, 86400))


def _hash(policy: SignInPolicy, phone: str, code: str) -> str:
    # Keyed, because six digits are too few to survive an unkeyed hash if the table leaks.
    return hmac.new(
        policy.secret_key.encode(), f"{phone}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def _living_with_phone(phone: str) -> Select[Resident]:
    """Residents with this phone who still live here: no code goes to the moved out or dead."""
    return (
        select(Resident)
        .join(Household, Household.id == Resident.household_id)
        .where(Resident.phone == phone, Household.current(), Resident.living())
    )


def find_person_for_phone(phone: str) -> Person | None:
    """Return the person who signs in with this phone, creating one for a resident's own phone."""
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    if person is not None:
        return person if person.active else None
    residents = db.session.scalars(_living_with_phone(phone)).all()
    if not residents:
        return None
    person = Person(name=residents[0].name, phone=phone)
    db.session.add(person)
    db.session.flush()
    for resident in residents:
        resident.person_id = person.id
    return person


def _recipient(phone: str) -> Person | str | None:
    """Return whom to send a code for this phone: its person, a resident's bare phone, or None."""
    person = db.session.scalar(select(Person).where(Person.phone == phone))
    if person is not None:
        return person if person.active else None
    resident = db.session.scalar(_living_with_phone(phone).limit(1))
    return phone if resident is not None else None


def request_code(phone: str, *, policy: SignInPolicy, now: datetime, ip: str) -> str:
    """Record a code for the (E.164) phone and send it when the phone is known; return the phone.

    The answer is the same for known and unknown phones, so the sign-in form cannot be used to
    find out who lives here.
    """
    for count, seconds in policy.phone_limits:
        since = now - timedelta(seconds=seconds)
        sent = db.session.scalar(
            select(func.count(SignInCode.id)).where(
                SignInCode.phone == phone, SignInCode.created_at > since
            )
        )
        if (sent or 0) >= count:
            if seconds <= 60:
                raise RateLimited(
                    _("A code was sent less than a minute ago. Please wait a minute.")
                )
            if seconds <= 3600:
                raise RateLimited(_("Too many codes this hour for this phone. Try again later."))
            raise RateLimited(_("Too many codes today for this phone. Try again tomorrow."))

    code = f"{secrets.randbelow(1_000_000):06d}"
    row = SignInCode(
        phone=phone,
        code_hash=_hash(policy, phone, code),
        created_at=now,
        expires_at=now + timedelta(minutes=policy.code_minutes),
        requested_ip=ip[:45],
    )
    db.session.add(row)
    db.session.flush()
    recipient = _recipient(phone)
    if recipient is not None:
        send_later(
            Message(
                "sign_in_code",
                {"code": code, "minutes": policy.code_minutes},
                batch_key=f"signin:{row.id}",
                urgent=True,
            ),
            to=[recipient],
            channels=("sms",),
            now=now,
        )
    db.session.flush()
    return phone


def _count_try(row: SignInCode, policy: SignInPolicy) -> int | None:
    """Count one try at the code in a single conditional UPDATE; return the tries now, or None.

    None when the code has no try left (or was used meanwhile). Reading the count, adding one
    and writing it back would let parallel guesses each see "4 tries" and all be checked; the
    database instead counts and checks the limit in one statement (PostgreSQL waits for a
    concurrent UPDATE of the row and re-checks the WHERE against the committed count).
    """
    counted = db.session.execute(
        update(SignInCode)
        .where(
            SignInCode.id == row.id,
            SignInCode.attempts < policy.max_tries,
            SignInCode.used_at.is_(None),
        )
        .values(attempts=SignInCode.attempts + 1)
        .returning(SignInCode.attempts),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    # The loaded row may hold an older count: read it afresh when next needed.
    db.session.expire(row, ["attempts", "used_at"])
    return counted


def verify_code(phone: str, code: str, *, policy: SignInPolicy, now: datetime) -> Person:
    """Return the person once the code (six digits) matches; count a wrong try and raise else.

    Every check is counted before the code is compared, so at most `max_tries` guesses are
    ever compared, however many arrive at once. The caller commits even when this raises, so
    that wrong tries are counted.
    """
    row = db.session.scalar(
        select(SignInCode)
        .where(SignInCode.phone == phone, SignInCode.used_at.is_(None))
        .order_by(SignInCode.created_at.desc(), SignInCode.id.desc())
        .limit(1)
    )
    if row is None or row.expires_at <= now:
        raise InvalidInput(_("This code has expired. Please ask for a new one."))
    tries = _count_try(row, policy)
    if tries is None:
        raise InvalidInput(_("Too many wrong tries. Please ask for a new code."))
    if not hmac.compare_digest(row.code_hash, _hash(policy, phone, code)):
        left = policy.max_tries - tries
        if left <= 0:
            raise InvalidInput(_("Too many wrong tries. Please ask for a new code."))
        raise InvalidInput(_("Wrong code. %(left)d tries left.", left=left))
    # Single use, also against a parallel right guess: only one request marks it used.
    used = db.session.execute(
        update(SignInCode)
        .where(SignInCode.id == row.id, SignInCode.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    db.session.expire(row, ["used_at"])
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput(_("This code has expired. Please ask for a new one."))
    person = find_person_for_phone(phone)
    if person is None:
        # Only reachable if the person was deactivated after the code was sent.
        raise InvalidInput(_("This code has expired. Please ask for a new one."))
    return person
