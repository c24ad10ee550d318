"""need: chasing undecided needs; need_referral: a partner unit's answer (issue 11)

Revision ID: 0013
Revises: 0009

Needs undecided too long are chased (first the grid leader, then the secretary), counted from
when they last became undecided. A need referred to a partner unit is answered by its contact,
by SMS or through a link whose token's hash is kept here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chased_leader_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chased_secretary_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'need_referral',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=False),
        sa.Column('partner_unit_id', sa.Integer(), nullable=False),
        sa.Column('contact_phone', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('answered_via', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['need_id'], ['need.id'], name=op.f('fk_need_referral_need_id_need')),
        sa.ForeignKeyConstraint(
            ['partner_unit_id'],
            ['partner_unit.id'],
            name=op.f('fk_need_referral_partner_unit_id_partner_unit'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_need_referral')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_need_referral_token_hash')),
    )
    with op.batch_alter_table('need_referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_need_referral_need_id'), ['need_id'], unique=False)


def downgrade():
    with op.batch_alter_table('need_referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_need_referral_need_id'))
    op.drop_table('need_referral')
    with op.batch_alter_table('need', schema=None) as batch_op:
        batch_op.drop_column('chased_secretary_at')
        batch_op.drop_column('chased_leader_at')
        batch_op.drop_column('open_since')
