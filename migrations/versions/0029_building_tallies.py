"""building_count, building_month: per-building tallies for the street's pages (issue 14)

Revision ID: 0029
Revises: 0028

The street's page counted every household of the street (150,000 at district scale) and a
month's household-month rows on every request. These tables hold the same counts per
building: households living there now, and per month those of them visited. The writes keep
them (services/tallies); here they are counted once from the records, as the coverage page
counts: households not moved out, and household-month rows of such households by the
building the row names. `flask tallies rebuild` counts them again.

The month's needs, wishes and escalations the same pages count are read from indexes that
hold every column those counts look at, so no row is fetched: a street's month is a few
thousand index entries.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


# The street's month of needs and wishes read from indexes alone: (name, table, before, after).
COVERING = [
    ("ix_need_community_created", "need", ["community_id", "created_at"],
     ["community_id", "created_at", "grid_id"]),
    ("ix_need_community_answered", "need", ["community_id", "answered_at"],
     ["community_id", "answered_at", "status", "created_at", "grid_id"]),
    ("ix_wish_community_posted", "wish", ["community_id", "posted_at"],
     ["community_id", "posted_at", "grid_id"]),
    ("ix_wish_community_fulfilled", "wish", ["community_id", "fulfilled_at"],
     ["community_id", "fulfilled_at", "status", "grid_id"]),
]
ESCALATIONS = ("ix_wish_event_community_action_at", "wish_event",
               ["community_id", "action", "at", "wish_id"])


def upgrade():
    for name, table, _before, after in COVERING:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, after)
    op.create_index(ESCALATIONS[0], ESCALATIONS[1], ESCALATIONS[2])
    op.create_table(
        "building_count",
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"]),
        sa.PrimaryKeyConstraint("building_id"),
    )
    op.create_table(
        "building_month",
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("visited", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"]),
        sa.PrimaryKeyConstraint("building_id", "month"),
    )
    op.create_index(
        "ix_building_month_month", "building_month", ["month", "building_id", "visited"]
    )
    op.execute(
        "INSERT INTO building_count (building_id, households) "
        "SELECT building_id, count(*) FROM household WHERE moved_out_on IS NULL "
        "GROUP BY building_id"
    )
    op.execute(
        "INSERT INTO building_month (building_id, month, visited) "
        "SELECT household_month.building_id, household_month.month, count(*) "
        "FROM household_month JOIN household ON household.id = household_month.household_id "
        "WHERE household.moved_out_on IS NULL "
        "GROUP BY household_month.building_id, household_month.month"
    )


def downgrade():
    op.drop_index(ESCALATIONS[0], table_name=ESCALATIONS[1])
    for name, table, before, _after in reversed(COVERING):
        op.drop_index(name, table_name=table)
        op.create_index(name, table, before)
    op.drop_index("ix_building_month_month", table_name="building_month")
    op.drop_table("building_month")
    op.drop_table("building_count")
