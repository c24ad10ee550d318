"""property matters and observers' reports (issue 13)

Revision ID: 0021
Revises: 0020

A public problem on the needs list has no household: where it is (need.place) and the
reporter's photo (need.photo_id). A need sent to the property company (a partner unit whose
kind is 物业) has an answer deadline (need_referral.due_at) and its chasers' marks; the days
allowed are a community's own setting (community.property_answer_days, NULL = the app's).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('photo_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_need_photo_id_photo'), 'photo', ['photo_id'], ['id'])
    with op.batch_alter_table('need_referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chased_contact_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chased_leader_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('property_answer_days', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('property_answer_days')
    with op.batch_alter_table('need_referral', schema=None) as batch_op:
        batch_op.drop_column('chased_leader_at')
        batch_op.drop_column('chased_contact_at')
        batch_op.drop_column('due_at')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_need_photo_id_photo'), type_='foreignkey')
        batch_op.drop_column('photo_id')
        batch_op.drop_column('place')
