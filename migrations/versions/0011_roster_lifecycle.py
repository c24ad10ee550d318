"""building units; household moved out, resident deceased and ID number, partner unit ended (issue 11)

Revision ID: 0011
Revises: 0009

A household that moves out and a resident who dies stay on record (their visits and wishes
belong to the ledgers) but leave every list and message. A resident's ID-card number is kept
only as a keyed hash, to find them again on a re-import, and its last four characters.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.add_column(sa.Column('units', sa.Integer(), nullable=True))
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_out_on', sa.Date(), nullable=True))
        # A room takes a new household once the old one moved out: unique among current ones.
        batch_op.drop_constraint('uq_household_building_id_unit_room', type_='unique')
        batch_op.create_index(
            'uq_household_current_room',
            ['building_id', 'unit', 'room'],
            unique=True,
            sqlite_where=sa.text('moved_out_on IS NULL'),
            postgresql_where=sa.text('moved_out_on IS NULL'),
        )
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deceased_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('id_number_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('id_number_last4', sa.String(length=4), nullable=False, server_default='')
        )
        batch_op.create_index(
            batch_op.f('ix_resident_id_number_hash'), ['id_number_hash'], unique=False
        )
    with op.batch_alter_table('partner_unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('partner_unit', schema=None) as batch_op:
        batch_op.drop_column('ended_on')
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resident_id_number_hash'))
        batch_op.drop_column('id_number_last4')
        batch_op.drop_column('id_number_hash')
        batch_op.drop_column('deceased_on')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('uq_household_current_room')
        batch_op.create_unique_constraint(
            'uq_household_building_id_unit_room', ['building_id', 'unit', 'room']
        )
        batch_op.drop_column('moved_out_on')
    with op.batch_alter_table('building', schema=None) as batch_op:
        batch_op.drop_column('units')
