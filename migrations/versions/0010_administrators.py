"""street, administrator, and a community's own escalation hours (issue 11)

Revision ID: 0010
Revises: 0009

A street (街道) groups communities; an administrator is granted a street (every community in
it) or one community, and sets communities up. A community keeps its own work-order and wish
escalation hours (NULL: the app's setting).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'street',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_street')),
        sa.UniqueConstraint('code', name=op.f('uq_street_code')),
        sa.UniqueConstraint('name', name=op.f('uq_street_name')),
    )
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work_order_escalate_hours', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('wish_escalation_hours', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('street_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_community_street_id'), ['street_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_community_street_id_street'), 'street', ['street_id'], ['id']
        )
    op.create_table(
        'administrator',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('street_id', sa.Integer(), nullable=True),
        sa.Column('community_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.CheckConstraint(
            '(street_id IS NULL) <> (community_id IS NULL)',
            name=op.f('ck_administrator_street_or_community'),
        ),
        sa.ForeignKeyConstraint(
            ['community_id'], ['community.id'], name=op.f('fk_administrator_community_id_community')
        ),
        sa.ForeignKeyConstraint(
            ['granted_by_id'], ['person.id'], name=op.f('fk_administrator_granted_by_id_person')
        ),
        sa.ForeignKeyConstraint(
            ['person_id'], ['person.id'], name=op.f('fk_administrator_person_id_person')
        ),
        sa.ForeignKeyConstraint(
            ['street_id'], ['street.id'], name=op.f('fk_administrator_street_id_street')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_administrator')),
    )
    with op.batch_alter_table('administrator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_administrator_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_administrator_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_administrator_street_id'), ['street_id'], unique=False)


def downgrade():
    with op.batch_alter_table('administrator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_administrator_street_id'))
        batch_op.drop_index(batch_op.f('ix_administrator_person_id'))
        batch_op.drop_index(batch_op.f('ix_administrator_community_id'))
    op.drop_table('administrator')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_community_street_id_street'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_community_street_id'))
        batch_op.drop_column('street_id')
        batch_op.drop_column('wish_escalation_hours')
        batch_op.drop_column('work_order_escalate_hours')
    op.drop_table('street')
