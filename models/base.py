"""The declarative base and the one Flask-SQLAlchemy handle every model shares."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, text
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from models import clock

# Named constraints so Alembic migrations (and SQLite batch mode) can address them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

# SQLite cannot upgrade a read transaction to a write one once another connection has
# committed since it began (the busy timeout does not apply then), so code that writes
# declares it and its transactions begin IMMEDIATE (see pwa/database.py).
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


@contextmanager
def writing() -> Iterator[None]:
    """Declare that the transactions begun inside will write."""
    token = write_intent.set(True)
    try:
        yield
    finally:
        write_intent.reset(token)


def refresh_statistics(*tables: str) -> None:
    """Let the planner see what this transaction has written so far (PostgreSQL's ANALYZE of
    these tables, or of all of ours).

    For a bulk load in one transaction, such as the demo: autovacuum cannot see uncommitted
    rows, and with the statistics the tables had before (emptied, or filled by other data)
    one INSERT ... SELECT of the demo's ran for 7 minutes in a CI run. ANALYZE inside the
    transaction samples its own rows. SQLite's planner keeps no such statistics by default:
    nothing to do.
    """
    unknown = set(tables) - set(db.metadata.tables)
    if unknown:  # only our own tables' names may reach the SQL
        raise ValueError(f"no such tables: {sorted(unknown)}")
    if db.engine.dialect.name == "postgresql":
        db.session.flush()
        # Our tables only: a bare ANALYZE also takes the cluster's shared catalogs, and waited
        # 26 s in CI behind another database's ANALYZE of them.
        named = tables or tuple(db.metadata.tables)
        db.session.execute(text("ANALYZE " + ", ".join(named)))


utcnow = clock.utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and hand them back aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use models.base.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
