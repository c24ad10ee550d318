"""Wrong sign-in codes are counted atomically: parallel guesses never get past the limit."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from models import SignInCode, clock, db
from pwa.views.auth import PENDING_PHONE
from services.errors import InvalidInput
from services.sign_in import codes
from tests.support import latest_code

GUESSES = 20
TRIES = 5


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every code compared with the stored one, in whichever thread."""
    seen: list[str] = []
    lock = threading.Lock()
    real = codes._hash

    def counting(policy: codes.SignInPolicy, phone: str, code: str) -> str:
        with lock:
            seen.append(code)
        return real(policy, phone, code)

    monkeypatch.setattr(codes, "_hash", counting)
    return seen


def _code_row(phone: str) -> SignInCode:
    row = db.session.scalar(select(SignInCode).where(SignInCode.phone == phone))
    assert row is not None
    return row


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_parallel_wrong_guesses_are_checked_at_most_five_times(
    app: Flask, client: FlaskClient, make: Any, checked: list[str], english: None
) -> None:
    person = make.person()
    db.session.commit()
    assert client.post("/sign-in", data={"phone": person.phone}).status_code == 302
    wrong = _wrong(latest_code(person.phone))
    checked.clear()  # counted from here: the code above was hashed when it was made

    # Each guesser is its own browser with the same pending phone: its own requests, app
    # context and database session (and connection), all let go at the same moment.
    clients = []
    for _ in range(GUESSES):
        guesser = app.test_client()
        with guesser.session_transaction() as session:
            session[PENDING_PHONE] = person.phone
        clients.append(guesser)
    db.session.commit()  # this test holds no lock while the guesses run
    start = threading.Barrier(GUESSES)
    lock = threading.Lock()
    answers: list[tuple[int, str]] = []
    failures: list[BaseException] = []

    def guess(guesser: FlaskClient) -> None:
        try:
            start.wait(30)
            response = guesser.post("/sign-in/code", data={"code": wrong})
            with lock:
                answers.append((response.status_code, response.get_data(as_text=True)))
        except BaseException as error:
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=guess, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    assert len(answers) == GUESSES
    # No error from the race: every guess is refused with a message.
    assert sorted({status for status, _ in answers}) == [422]
    assert len(checked) <= TRIES, f"{len(checked)} guesses were checked"
    assert len(checked) == TRIES  # and the five a code allows were
    db.session.rollback()
    assert _code_row(person.phone).attempts == TRIES
    too_many = [body for _, body in answers if "Too many wrong tries" in body]
    assert len(too_many) >= GUESSES - TRIES


def test_a_stale_count_cannot_buy_another_check(
    make: Any, checked: list[str], english: None
) -> None:
    """What a parallel guess sees: "4 tries" read, while the fifth was counted meanwhile."""
    person = make.person()
    policy = codes.SignInPolicy(secret_key="test-secret", max_tries=TRIES)
    now = clock.utcnow()
    codes.request_code(person.phone, policy=policy, now=now, ip="")
    row = _code_row(person.phone)
    row.attempts = TRIES - 1
    db.session.flush()
    assert row.attempts == TRIES - 1  # this session has read "4 tries" ...
    # ... and another request counts the fifth without this session seeing it.
    db.session.execute(
        update(SignInCode).where(SignInCode.id == row.id).values(attempts=TRIES),
        execution_options={"synchronize_session": False},
    )
    assert row.attempts == TRIES - 1
    checked.clear()
    with pytest.raises(InvalidInput, match="Too many wrong tries"):
        codes.verify_code(person.phone, "000000", policy=policy, now=now)
    assert checked == []  # refused before the code was compared
    db.session.expire_all()
    assert _code_row(person.phone).attempts == TRIES


def test_the_fifth_try_may_still_be_right(make: Any, english: None) -> None:
    person = make.person()
    policy = codes.SignInPolicy(secret_key="test-secret", max_tries=TRIES)
    now = clock.utcnow()
    codes.request_code(person.phone, policy=policy, now=now, ip="")
    row = _code_row(person.phone)
    row.code_hash = codes._hash(policy, person.phone, "123456")
    for left in range(TRIES - 1, 0, -1):
        with pytest.raises(InvalidInput, match=f"Wrong code. {left} tries left"):
            codes.verify_code(person.phone, "654321", policy=policy, now=now)
    assert codes.verify_code(person.phone, "123456", policy=policy, now=now).id == person.id
    # Used once: the same right code again is refused.
    with pytest.raises(InvalidInput, match="expired"):
        codes.verify_code(person.phone, "123456", policy=policy, now=now)
