"""meeting.duration_minutes: how long a meeting lasts, for in-service members' hours (双报到)

Revision ID: 0028
Revises: 0027

Meetings called before this are given 90 minutes, the length the call form offers first.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("duration_minutes", sa.Integer(), nullable=False, server_default="90")
        )


def downgrade():
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("duration_minutes")
