"""sms_provider_hold.code widens to 60, as delivery.error_code did (issue 12)

Revision ID: 0024
Revises: 0023

Tencent Cloud names an empty package FailedOperation.InsufficientBalanceInSmsPackage (45
characters): PostgreSQL refused to hold the community's sending with it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sms_provider_hold", schema=None) as batch_op:
        batch_op.alter_column("code", existing_type=sa.String(length=40), type_=sa.String(length=60))


def downgrade():
    with op.batch_alter_table("sms_provider_hold", schema=None) as batch_op:
        batch_op.alter_column("code", existing_type=sa.String(length=60), type_=sa.String(length=40))
