"""Every page of every role, on the demo community, at 360 px and in Chinese.

The pages are the app's own GET routes (its url_map), so a new page is swept without being
listed; a route's ids are picked from the demo for each role (the first that role may open).
On each page: no sideways scrolling and no element wider than the phone; and no internal code
in the visible text, neither a code of a known vocabulary (collected from the vocabularies,
pwa/labels.py) nor anything shaped like one (snake_case, dotted.names).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from playwright.sync_api import Browser
from sqlalchemy import select

from models import (
    Assessment,
    Broadcast,
    Building,
    Campaign,
    Community,
    Household,
    MediationCase,
    Meeting,
    Need,
    NeedReferral,
    PartnerUnit,
    PatrolFinding,
    PatrolRoute,
    PatrolShift,
    Person,
    Pledge,
    Post,
    RectificationAction,
    RectificationPlan,
    Resident,
    Street,
    Wish,
    WorkOrder,
    db,
)
from models.clock import utcnow
from pwa import auth, labels
from pwa import demo as demo_data
from services.administration import operations as administration
from services.needs import referrals
from tests.e2e.conftest import LiveServer, Visitor, new_visitor
from tests.support import load_demo

WIDTH = 360
# The demo has no administrator: the sweep names one for the demo's street.
STREET_ADMIN_PHONE = "+8613800009999"
# A partner unit's answer link (no account): a referral of the demo's with this token.
PARTNER_TOKEN = "sweep-partner-token-0123456789"
# The first partner unit's liaison (its contact, a cadre of the demo's) is given this phone.
LIAISON_PHONE = "+8613800009998"
ROLES = {
    "resident": "resident",
    "volunteer": "N member",
    "building head": "building head",
    "grid leader": "grid leader (grid 1)",
    "secretary": "secretary",
    "staff": "staff",
    "street administrator": STREET_ADMIN_PHONE,
    "partner unit's liaison": LIAISON_PHONE,
}
# Development tools (never in production) and files that are not pages (other non-pages are
# told by their content type).
SKIPPED_PREFIXES = ("dev.", "static", "wishes.photo", "work_orders.claim_photo")
LATIN_BEFORE = r"(?<![A-Za-z0-9_/.:@#-])"
LATIN_AFTER = r"(?![A-Za-z0-9_])"
SNAKE_RE = re.compile(LATIN_BEFORE + r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+" + LATIN_AFTER)
DOTTED_RE = re.compile(LATIN_BEFORE + r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+" + LATIN_AFTER)

MEASURE = """() => {
  const vw = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let e = el; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.position === "absolute" && s.clip !== "auto" && s.clip !== "") return true;
      if (s.clipPath && s.clipPath !== "none") return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if ((r.width > vw + 0.5 || r.right > vw + 0.5) && !clipped(el)) {
      const classes = typeof el.className === "string" ? el.className.trim() : "";
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (classes ? "." + classes.split(/\\s+/).join(".") : "");
      wide.push(name + " " + Math.round(r.left) + ".." + Math.round(r.right));
    }
  }
  return { scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 5) };
}"""

# The text a Chinese reader sees: English shown on purpose (an English example, the language
# switch) carries lang="en", and what a person types exactly (a column header, a command) is
# in <kbd>: both are left out.
VISIBLE_TEXT = """() => {
  const hidden = [];
  document.querySelectorAll('[lang^="en"], kbd').forEach((el) => {
    hidden.push([el, el.style.display]);
    el.style.display = "none";
  });
  const text = document.body.innerText;
  hidden.forEach(([el, display]) => (el.style.display = display));
  return text;
}"""


def _routes(app: Flask) -> list[tuple[str, str, list[str]]]:
    """Return (endpoint, rule, arguments) of every GET route that might be a page."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.startswith(SKIPPED_PREFIXES):
            continue
        routes.append((rule.endpoint, rule.rule, sorted(rule.arguments)))
    return sorted(routes, key=lambda r: r[1])


def _first(query: Any) -> list[int]:
    return [i for i in db.session.scalars(query.limit(1)) if i is not None]


def _candidates() -> dict[str, list[Any]]:
    """Ids to try for each route argument: the building head's, then the resident's, then any."""
    head = db.session.scalar(
        select(Person).where(Person.phone == demo_data.DEMO_PHONES["building head"])
    )
    assert head is not None
    building_id = db.session.scalar(
        select(Post.building_id).where(Post.person_id == head.id, Post.building_id.is_not(None))
    )
    building = db.session.get(Building, building_id)
    assert building is not None
    resident = db.session.scalar(
        select(Resident).where(Resident.phone == demo_data.DEMO_PHONES["resident"])
    )
    assert resident is not None
    household_in_building = _first(
        select(Household.id).where(Household.building_id == building.id).order_by(Household.id)
    )
    residents_of_building = _first(
        select(Resident.id).join(Household).where(Household.building_id == building.id)
    )
    return {
        "household_id": [*household_in_building, resident.household_id],
        "resident_id": [*residents_of_building, resident.id],
        "building_id": [building.id, resident.household.building_id],
        "grid_id": [building.grid_id, resident.household.building.grid_id],
        "need_id": [
            *_first(select(Need.id).where(Need.building_id == building.id)),
            *_first(select(Need.id).where(Need.grid_id == building.grid_id)),
            *_first(select(Need.id)),
        ],
        "wish_id": [
            *_first(select(Wish.id).where(Wish.resident_id == resident.id)),
            *_first(select(Wish.id).where(Wish.grid_id == building.grid_id)),
            *_first(select(Wish.id)),
        ],
        "order_id": [
            *_first(select(WorkOrder.id).where(WorkOrder.grid_id == building.grid_id)),
            *_first(select(WorkOrder.id)),
        ],
        "broadcast_id": _first(select(Broadcast.id)),
        "case_id": [
            *_first(select(MediationCase.id).where(MediationCase.grid_id == building.grid_id)),
            *_first(select(MediationCase.id)),
        ],
        # The running campaign (the demo's newest), then the finished one.
        "campaign_id": list(
            db.session.scalars(select(Campaign.id).order_by(Campaign.id.desc()).limit(2))
        ),
        "meeting_id": [
            *_first(select(Meeting.id).where(Meeting.grid_id == building.grid_id)),
            *_first(select(Meeting.id)),
        ],
        "code": [demo_data.COMMUNITY_CODE],
        "street": list(db.session.scalars(select(Street.code).limit(1))),
        "token": [PARTNER_TOKEN],
        "post_id": _first(select(Post.id).where(Post.person_id == head.id)),
        "finding_id": _first(select(PatrolFinding.id)),
        "route_id": _first(select(PatrolRoute.id)),
        "shift_id": _first(select(PatrolShift.id)),
        # The first partner unit: the demo's report-ins and last quarter's hours are its.
        "unit_id": _first(select(PartnerUnit.id).order_by(PartnerUnit.id)),
        # Pledges: the demo's rectification plan (its last grid's), its first action.
        "plan_id": _first(select(RectificationPlan.id)),
        "action_id": _first(select(RectificationAction.id)),
        "pledge_id": _first(select(Pledge.id)),
        # Last quarter's published assessment.
        "assessment_id": _first(select(Assessment.id).order_by(Assessment.id)),
    }


def _street_administrator_and_partner_link() -> None:
    """What the demo lacks for the sweep: an administrator of its street, a referral, and a
    known phone for a unit's liaison."""
    community = db.session.scalar(
        select(Community).where(Community.code == demo_data.COMMUNITY_CODE)
    )
    assert community is not None
    grant, _new = administration.add_administrator(
        name="街道管理员", phone=STREET_ADMIN_PHONE, street="城关街道", today=auth.today()
    )
    community.street_id = grant.street_id
    need = db.session.scalar(select(Need).where(Need.household_id.is_not(None)).limit(1))
    unit = db.session.scalar(
        select(PartnerUnit)
        .where(PartnerUnit.community_id == community.id)
        .order_by(PartnerUnit.id)
        .limit(1)
    )
    assert need is not None and unit is not None
    liaison = db.session.scalar(select(Person).where(Person.phone == unit.contact_phone))
    assert liaison is not None, "the demo's first partner unit has no liaison on the roster"
    liaison.phone = unit.contact_phone = LIAISON_PHONE
    now = utcnow()
    db.session.add(
        NeedReferral(
            need_id=need.id,
            partner_unit_id=unit.id,
            contact_phone=unit.contact_phone or "+8613800008888",
            token_hash=referrals.digest(PARTNER_TOKEN),
            sent_at=now,
            expires_at=now + timedelta(days=7),
            answer="",
            answered_via="",
        )
    )


@pytest.fixture
def demo(app: Flask, ctx: None) -> dict[str, list[Any]]:
    load_demo(app)
    # The demo writes its duties in the language the community speaks, as `flask demo` does.
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        _street_administrator_and_partner_link()
    db.session.commit()
    return _candidates()


@pytest.fixture
def phone_visitors(chromium: Browser, live_server: LiveServer) -> Iterator[Callable[[], Visitor]]:
    """A fresh phone (browser context) per role, all closed at the end.

    One context signed in as each role in turn failed once in CI: a request of the last
    role's pages still in flight (a poll, the service worker) set its session cookie again
    after the switch, and the next role's sign-in form failed its CSRF check.
    """
    opened: list[Visitor] = []

    def phone() -> Visitor:
        visitor = new_visitor(
            chromium, live_server, viewport={"width": WIDTH, "height": 740}, is_mobile=True
        )
        opened.append(visitor)
        return visitor

    yield phone
    for visitor in opened:
        visitor.context.close()


def _paths(
    visitor: Visitor, rule: str, arguments: list[str], ids: dict[str, list[Any]]
) -> Iterator[str]:
    """Yield the route's address with each combination of candidate ids, first choices first."""
    if not arguments:
        yield rule
        return
    missing = [a for a in arguments if a not in ids]
    assert not missing, f"{rule}: the sweep has no demo id for {missing}: add one to _candidates"
    options = [ids[a] for a in arguments]
    if any(not o for o in options):
        return
    for i in range(max(len(o) for o in options)):
        path = rule
        for name, values in zip(arguments, options, strict=True):
            value = values[min(i, len(values) - 1)]
            path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
        yield path


def _codes_pattern() -> re.Pattern[str]:
    codes = sorted(labels.known_codes(), key=len, reverse=True)
    return re.compile(LATIN_BEFORE + "(" + "|".join(map(re.escape, codes)) + ")" + LATIN_AFTER)


def test_every_page_fits_a_phone_and_speaks_chinese(
    app: Flask, demo: dict[str, list[Any]], phone_visitors: Callable[[], Visitor]
) -> None:
    codes = _codes_pattern()
    problems: list[str] = []
    seen: dict[str, int] = {}
    routes = _routes(app)
    for role, label in ROLES.items():
        visitor = phone_visitors()
        page = visitor.page
        visitor.sign_in_quickly(demo_data.DEMO_PHONES.get(label, label))
        seen[role] = 0
        for _endpoint, rule, arguments in routes:
            for path in _paths(visitor, rule, arguments, demo):
                # Cheap first: whether this role may open it, and whether it is a page.
                head = visitor.context.request.get(visitor.base_url + path, max_redirects=0)
                kind = head.headers.get("content-type", "")
                if head.status != 200 or not kind.startswith("text/html"):
                    continue
                if not head.text().lstrip().lower().startswith("<!doctype html"):
                    continue  # a fragment (htmx), swept with the page it belongs to
                visitor.go(path)
                seen[role] += 1
                where = f"{role} {path}"
                measured = page.evaluate(MEASURE)
                if measured["scroll"] > WIDTH or measured["wide"]:
                    problems.append(f"{where}: {measured['scroll']}px wide; {measured['wide']}")
                text = page.evaluate(VISIBLE_TEXT)
                found = set(codes.findall(text)) | set(SNAKE_RE.findall(text))
                found |= set(DOTTED_RE.findall(text))
                if found:
                    problems.append(f"{where}: codes on a Chinese screen: {sorted(found)}")
                break
    assert all(seen[role] >= 3 for role in ROLES), seen
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
