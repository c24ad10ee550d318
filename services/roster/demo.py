"""The demo community: a realistic, reproducible 新丰路社区 to try the app with.

Everything is drawn from one seeded random.Random, so every load gives the same names, ages
and phones. The counts are exact (5 grids, 30 buildings, 1,200 households, 3,000 residents,
60 N members, 3 partner units) so tests and screenshots can rely on them.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import phonenumbers
from sqlalchemy import func, select

from models import Building, Community, Grid, Household, PartnerUnit, Person, Post, Resident, db
from models.roles import Role
from services.roster.demo_names import GIVEN_NAMES, MOBILE_PREFIXES, PARTNER_UNITS, SURNAMES
from services.roster.posts import DEFAULT_DUTIES

SEED = 20180601
COMMUNITY_CODE = "xinfeng"
COMMUNITY_NAME = "新丰路社区"
DISTRICT = "华州区"
SMS_SIGNATURE = "【新丰路社区】"

# Fixed sign-in phones, easy to type at a demo; all valid mainland mobiles (phonenumbers 9.x).
DEMO_PHONES: dict[str, str] = {
    "secretary": "+8613800000001",
    "staff": "+8613800000002",
    "grid leader (grid 1)": "+8613800000011",
    "building head": "+8613800000021",
    "N member": "+8613800000031",
    "resident": "+8613800000041",
}
# Random phones stay out of this block so a demo phone is never drawn for someone else.
RESERVED_PREFIX = "+86138000000"

GRID_COUNT = 5
HOUSEHOLD_COUNT = 1200
RESIDENT_COUNT = 3000
# Household sizes giving exactly 1,200 households and 3,000 residents (mean 2.5).
HOUSEHOLD_SIZES = {1: 240, 2: 420, 3: 300, 4: 180, 5: 60}
# compound, buildings, units per building, floors, flats per floor landing.
COMPOUNDS = (
    ("幸福家园", 12, 3, 6, 2),  # 1990s walk-ups
    ("锦绣花园", 10, 2, 11, 2),  # 2000s mid-rise
    ("东岳小区", 8, 2, 18, 2),  # 2010s high-rise
)
BUILDING_COUNT = sum(compound[1] for compound in COMPOUNDS)
N_MEMBER_ROLES = (
    Role.PATROLLER,
    Role.OBSERVER,
    Role.PUBLICIST,
    Role.MEDIATOR,
    Role.PROPERTY_LIAISON,
    Role.CIVILITY_ADVOCATE,
)
N_MEMBERS_PER_ROLE_PER_GRID = 2
# Partner units and the N-member posts their in-service members hold, as (grid number, role).


@dataclass(frozen=True)
class Summary:
    """What the demo load created, for the command to print."""

    community: str
    grids: int
    buildings: int
    households: int
    residents: int
    people: int
    posts: int
    n_members: int
    partner_units: int
    aged_70_plus: int
    without_phone: int
    without_smartphone: int


@dataclass
class _Member:
    name: str
    birth_year: int
    phone: str | None = None
    has_smartphone: bool = False
    lives_alone: bool = False
    care_flags: list[str] = field(default_factory=list)
    sms_consent: bool = False
    person: Person | None = None


def is_loaded() -> bool:
    """Return whether the demo community is already in the database."""
    found = db.session.scalar(select(Community.id).where(Community.code == COMMUNITY_CODE))
    return found is not None


def any_community() -> bool:
    """Return whether the database holds any community at all."""
    return (db.session.scalar(select(func.count(Community.id))) or 0) > 0


def load(today: date, rng: random.Random, community_code: str = COMMUNITY_CODE) -> Summary:
    """Add the demo community with its places, people and posts, and flush; the caller commits.

    The other features' demo data come after this, each from its own demo module (pwa.demo
    runs them). Duties are written in the current locale, so call this under the locale the
    demo should show (flask_babel.force_locale in a command).
    """
    if community_code != COMMUNITY_CODE:
        raise ValueError(f"the demo community is {COMMUNITY_CODE!r}, not {community_code!r}")
    return _DemoBuilder(today, rng).build()


class _DemoBuilder:
    def __init__(self, today: date, rng: random.Random) -> None:
        self.today = today
        self.year = today.year
        self.rng = rng
        self.used_phones: set[str] = set(DEMO_PHONES.values())

    # Names and phones --------------------------------------------------------------------

    def phone(self) -> str:
        """Return a fresh valid mainland mobile number, never one used before in this demo."""
        while True:
            number = f"+86{self.rng.choice(MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
            if number in self.used_phones or number.startswith(RESERVED_PREFIX):
                continue
            if not phonenumbers.is_valid_number(phonenumbers.parse(number)):
                continue
            self.used_phones.add(number)
            return number

    def surname(self) -> str:
        return self.rng.choice(SURNAMES)

    def given(self, birth_year: int, sex: str) -> str:
        if birth_year <= 1955:
            generation = "old"
        elif birth_year <= 1985:
            generation = "mid"
        elif birth_year <= 2005:
            generation = "young"
        else:
            generation = "child"
        return self.rng.choice(GIVEN_NAMES[(generation, sex)])

    def sex(self) -> str:
        return self.rng.choice("mf")

    def age(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def elder_age(self, low: int = 70) -> int:
        """Return an age of `low` or more, most often in the seventies, now and then past 90."""
        return min(99, low + int(self.rng.expovariate(1 / 8.5)))

    # Households ----------------------------------------------------------------------------

    def family(self, size: int) -> list[tuple[str, int, str]]:
        """Return (surname, age, sex) for the members of a household of `size`."""
        rng = self.rng
        family_name = self.surname()

        def spouse_age(age: int) -> int:
            return max(20, age + rng.randint(-5, 3))

        def parents(low: int, high: int) -> list[tuple[str, int, str]]:
            father = self.age(low, high)
            return [(family_name, father, "m"), (self.surname(), spouse_age(father), "f")]

        def children(parent_age: int, count: int) -> list[tuple[str, int, str]]:
            oldest = max(0, parent_age - rng.randint(23, 32))
            kids = []
            for i in range(count):
                kids.append((family_name, max(0, oldest - i * rng.randint(2, 6)), self.sex()))
            return kids

        def grandparent() -> tuple[str, int, str]:
            if rng.random() < 0.5:
                return (family_name, self.elder_age(), "m")
            return (self.surname(), self.elder_age(68), "f")

        r = rng.random()
        if size == 1:
            if r < 0.62:
                return [(family_name, self.elder_age(), self.sex())]
            if r < 0.75:
                return [(family_name, self.age(60, 69), self.sex())]
            return [(family_name, self.age(23, 59), self.sex())]
        if size == 2:
            if r < 0.45:
                father = self.elder_age(71)
                return [
                    (family_name, father, "m"),
                    (self.surname(), max(66, spouse_age(father)), "f"),
                ]
            if r < 0.60:
                return parents(56, 69)
            if r < 0.90:
                return parents(25, 55)
            single = self.age(32, 52)
            return [(family_name, single, "f"), *children(single, 1)]
        if size == 3:
            if r < 0.58:
                couple = parents(28, 50)
                return couple + children(couple[0][1], 1)
            if r < 0.85:
                widow = self.elder_age(72)
                son = max(35, widow - rng.randint(24, 32))
                # A widowed mother kept her own surname; a widowed father shares his son's.
                widowed = (
                    (family_name, widow, "m")
                    if rng.random() < 0.4
                    else (self.surname(), widow, "f")
                )
                return [widowed, (family_name, son, "m"), (self.surname(), spouse_age(son), "f")]
            couple = parents(50, 64)
            return couple + children(couple[0][1], 1)
        if size == 4:
            if r < 0.55:
                couple = parents(32, 50)
                return couple + children(couple[0][1], 2)
            couple = parents(35, 52)
            return [*couple, *children(couple[0][1], 1), grandparent()]
        couple = parents(35, 50)
        if r < 0.6:
            grandfather = (family_name, self.elder_age(), "m")
            grandmother = (self.surname(), max(66, spouse_age(grandfather[1])), "f")
            return [*couple, *children(couple[0][1], 1), grandfather, grandmother]
        return [*couple, *children(couple[0][1], 2), grandparent()]

    def member(self, surname: str, age: int, sex: str, taken: set[str]) -> _Member:
        """Return one resident with a name unique in the household and phone habits of the age."""
        rng = self.rng
        birth_year = self.year - age
        name = surname + self.given(birth_year, sex)
        while name in taken:
            name = surname + self.given(birth_year, sex)
        taken.add(name)
        # (chance of an own phone, chance that the phone is a smartphone), by age.
        if age < 10:
            own, smart = 0.0, 1.0
        elif age < 18:
            own, smart = 0.85, 1.0
        elif age < 60:
            own, smart = 1.0, 0.99
        elif age < 70:
            own, smart = 0.98, 0.85
        elif age < 80:
            own, smart = 0.94, 0.7
        else:
            own, smart = 0.8, 0.4
        m = _Member(name=name, birth_year=birth_year)
        if rng.random() < own:
            m.phone = self.phone()
            m.has_smartphone = rng.random() < smart
            m.sms_consent = rng.random() < 0.92
        flags: list[str] = []
        if age >= 70:
            chances = {
                "chronic_illness": 0.35,
                "disabled": 0.06,
                "dementia": 0.03,
                "bedridden": 0.02,
                "veteran": 0.03,
                "low_income": 0.04,
            }
        elif age >= 60:
            chances = {"chronic_illness": 0.15, "disabled": 0.03, "low_income": 0.03}
        else:
            chances = {"disabled": 0.01, "low_income": 0.02}
        for flag, chance in chances.items():
            if rng.random() < chance:
                flags.append(flag)
        m.care_flags = flags
        return m

    # The whole community -------------------------------------------------------------------

    def build(self) -> Summary:
        rng = self.rng
        session = db.session
        community = Community(
            code=COMMUNITY_CODE, name=COMMUNITY_NAME, district=DISTRICT, sms_signature=SMS_SIGNATURE
        )
        session.add(community)
        session.flush()
        cid = community.id

        grid_names = "一二三四五"
        grids = [
            Grid(community_id=cid, number=i + 1, name=f"第{grid_names[i]}网格")
            for i in range(GRID_COUNT)
        ]
        session.add_all(grids)

        # Buildings in street order, six to a grid; every flat is a possible household.
        buildings: list[Building] = []
        slots: list[tuple[int, str, int, str]] = []
        for compound, count, units, floors, per_floor in COMPOUNDS:
            for number in range(1, count + 1):
                index = len(buildings)
                grid = grids[index * GRID_COUNT // BUILDING_COUNT]
                buildings.append(
                    Building(community_id=cid, grid=grid, compound=compound, name=f"{number}号楼")
                )
                for unit_number in range(1, units + 1):
                    for floor in range(1, floors + 1):
                        for flat in range(1, per_floor + 1):
                            slots.append((index, str(unit_number), floor, f"{floor}{flat:02d}"))
        session.add_all(buildings)
        occupied = sorted(rng.sample(slots, HOUSEHOLD_COUNT), key=_slot_order)
        sizes = [size for size, n in HOUSEHOLD_SIZES.items() for _ in range(n)]
        rng.shuffle(sizes)

        households: list[Household] = []
        members_of: list[list[_Member]] = []
        for (index, unit, floor, room), size in zip(occupied, sizes, strict=True):
            household = Household(building=buildings[index], unit=unit, floor=floor, room=room)
            taken: set[str] = set()
            members = [self.member(s, a, x, taken) for s, a, x in self.family(size)]
            if size == 1 and self.year - members[0].birth_year >= 60:
                members[0].lives_alone = True
            self.add_contact(household, members)
            households.append(household)
            members_of.append(members)
        session.add_all(households)

        # Who holds posts among the residents: a building head per building, N members by grid.
        by_building: dict[int, list[_Member]] = {}
        for (index, *_rest), members in zip(occupied, members_of, strict=True):
            by_building.setdefault(index, []).extend(members)
        picked: set[int] = set()

        def pick(pool: list[_Member], low: int, high: int) -> _Member:
            fits = [
                m
                for m in pool
                if id(m) not in picked
                and m.phone
                and m.has_smartphone
                and low <= self.year - m.birth_year <= high
            ]
            if not fits:
                raise RuntimeError("demo data: no resident fits a post")  # a bug in the tables
            chosen = rng.choice(fits)
            picked.add(id(chosen))
            return chosen

        starts_on = date(self.year, 1, 1)
        people: list[Person] = []
        posts: list[Post] = []

        def post(
            person: Person, role: Role, grid: Grid | None = None, building: Building | None = None
        ) -> None:
            posts.append(
                Post(
                    person=person,
                    role=role.value,
                    community_id=cid,
                    grid=grid,
                    building=building,
                    duties=str(DEFAULT_DUTIES.get(role, "")),
                    starts_on=starts_on,
                )
            )

        def cadre(phone: str | None = None) -> Person:
            birth_year = self.year - self.age(30, 55)
            person = Person(
                name=self.surname() + self.given(birth_year, self.sex()),
                phone=phone or self.phone(),
            )
            people.append(person)
            return person

        def resident_person(m: _Member, phone: str | None = None) -> Person:
            if phone is not None:
                self.used_phones.discard(m.phone or "")
                m.phone = phone
            assert m.phone is not None
            person = Person(name=m.name, phone=m.phone)
            m.person = person
            people.append(person)
            return person

        post(cadre(DEMO_PHONES["secretary"]), Role.SECRETARY)
        post(cadre(DEMO_PHONES["staff"]), Role.STAFF)
        post(cadre(), Role.STAFF)
        for grid in grids:
            phone = DEMO_PHONES["grid leader (grid 1)"] if grid.number == 1 else None
            post(cadre(phone), Role.GRID_LEADER, grid=grid)
        for index, building in enumerate(buildings):
            head = pick(by_building[index], 35, 72)
            phone = DEMO_PHONES["building head"] if index == 0 else None
            post(
                resident_person(head, phone),
                Role.BUILDING_HEAD,
                grid=building.grid,
                building=building,
            )

        partner_units: list[PartnerUnit] = []
        filled: Counter[tuple[int, Role]] = Counter()
        for name, kind, seats in PARTNER_UNITS:
            partner = PartnerUnit(community_id=cid, name=name, kind=kind)
            partner_units.append(partner)
            for number, role in seats:
                member = cadre()
                member.partner_unit = partner
                if not partner.contact_name:
                    partner.contact_name, partner.contact_phone = member.name, member.phone
                post(member, role, grid=grids[number - 1])
                filled[(number, role)] += 1
        session.add_all(partner_units)

        n_member_phone: str | None = DEMO_PHONES["N member"]
        for grid in grids:
            pool = [
                m
                for index, building in enumerate(buildings)
                if building.grid is grid
                for m in by_building[index]
            ]
            for role in N_MEMBER_ROLES:
                for _seat in range(N_MEMBERS_PER_ROLE_PER_GRID - filled[(grid.number, role)]):
                    volunteer = pick(pool, 18, 69)
                    post(resident_person(volunteer, n_member_phone), role, grid=grid)
                    n_member_phone = None

        # A plain resident of grid 1 for signing in to "my household"; no post, no Person yet.
        grid_one = [
            m
            for index, building in enumerate(buildings)
            if building.grid is grids[0]
            for m in by_building[index]
        ]
        plain = pick(grid_one, 30, 65)
        self.used_phones.discard(plain.phone or "")
        plain.phone = DEMO_PHONES["resident"]

        session.add_all(people)
        session.add_all(posts)
        residents = [
            Resident(
                household=household,
                name=m.name,
                birth_year=m.birth_year,
                phone=m.phone,
                lives_alone=m.lives_alone,
                has_smartphone=m.has_smartphone,
                care_flags=m.care_flags,
                sms_consent=m.sms_consent,
                person=m.person,
            )
            for household, members in zip(households, members_of, strict=True)
            for m in members
        ]
        session.add_all(residents)
        session.flush()

        everyone = [m for members in members_of for m in members]
        return Summary(
            community=f"{COMMUNITY_NAME} ({COMMUNITY_CODE})",
            grids=len(grids),
            buildings=len(buildings),
            households=len(households),
            residents=len(residents),
            people=len(people),
            posts=len(posts),
            n_members=sum(1 for p in posts if Role(p.role) in N_MEMBER_ROLES),
            partner_units=len(partner_units),
            aged_70_plus=sum(1 for m in everyone if self.year - m.birth_year >= 70),
            without_phone=sum(1 for m in everyone if m.phone is None),
            without_smartphone=sum(1 for m in everyone if not m.has_smartphone),
        )

    def add_contact(self, household: Household, members: list[_Member]) -> None:
        """Record a son or daughter to reach when the elderly here cannot all be phoned."""
        elderly = [m for m in members if self.year - m.birth_year >= 60]
        if not elderly or len(elderly) < len(members):
            return
        someone_unreachable = any(m.phone is None for m in elderly)
        if not someone_unreachable and self.rng.random() >= 0.5:
            return
        eldest = min(elderly, key=lambda m: m.birth_year)
        child_birth_year = eldest.birth_year + self.rng.randint(24, 32)
        household.contact_name = eldest.name[0] + self.given(child_birth_year, self.sex())
        household.contact_phone = self.phone()


def _slot_order(slot: tuple[int, str, int, str]) -> tuple[int, str, int, str]:
    index, unit, floor, room = slot
    return (index, unit, floor, room.zfill(4))
