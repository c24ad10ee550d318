"""meetings: meeting, meeting_invitee, meeting_suggestion, meeting_event (issue 13)

Revision ID: 0020
Revises: 0019

Meetings (例会, 座谈会, 联席会, 季度网格长例会): invitations and their "1"/"2" answers,
attendance at the door, minutes, suggestions turned into needs or work orders, and the
events the ledger counts.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('agenda', sa.Text(), nullable=False),
        sa.Column('audience', sa.JSON(), nullable=False),
        sa.Column('called_by_id', sa.Integer(), nullable=False),
        sa.Column('called_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('minutes', sa.Text(), nullable=False),
        sa.Column('decisions', sa.Text(), nullable=False),
        sa.Column('minutes_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('noticed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['called_by_id'], ['person.id'], name=op.f('fk_meeting_called_by_id_person')),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_meeting_community_id_community')),
        sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_meeting_grid_id_grid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting')),
    )
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_community_starts', ['community_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_grid_id'), ['grid_id'], unique=False)

    op.create_table(
        'meeting_invitee',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('resident_id', sa.Integer(), nullable=True),
        sa.Column('partner_unit_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('reply', sa.String(length=10), nullable=False),
        sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('replied_via', sa.String(length=20), nullable=False),
        sa.Column('walk_in', sa.Boolean(), nullable=False),
        sa.Column('present', sa.Boolean(), nullable=True),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_invitee_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['partner_unit_id'], ['partner_unit.id'], name=op.f('fk_meeting_invitee_partner_unit_id_partner_unit')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_meeting_invitee_person_id_person')),
        sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_meeting_invitee_resident_id_resident')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_invitee')),
        sa.UniqueConstraint('meeting_id', 'person_id', name='uq_meeting_invitee_person'),
        sa.UniqueConstraint('meeting_id', 'resident_id', name='uq_meeting_invitee_resident'),
        sa.UniqueConstraint('meeting_id', 'partner_unit_id', name='uq_meeting_invitee_unit'),
    )
    with op.batch_alter_table('meeting_invitee', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_invitee_phone', ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_invitee_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_invitee_person_id'), ['person_id'], unique=False)

    op.create_table(
        'meeting_suggestion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('need_id', sa.Integer(), nullable=True),
        sa.Column('work_order_ref', sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(['by_id'], ['person.id'], name=op.f('fk_meeting_suggestion_by_id_person')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_suggestion_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_meeting_suggestion_resident_id_resident')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_suggestion')),
    )
    with op.batch_alter_table('meeting_suggestion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_suggestion_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_suggestion_need_id'), ['need_id'], unique=False)

    op.create_table(
        'meeting_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=True),
        sa.Column('meeting_id', sa.Integer(), nullable=True),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('invitee_id', sa.Integer(), nullable=True),
        sa.Column('suggestion_id', sa.Integer(), nullable=True),
        sa.Column('need_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('via', sa.String(length=20), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_meeting_event_community_id_community')),
        sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_meeting_event_grid_id_grid')),
        sa.ForeignKeyConstraint(['invitee_id'], ['meeting_invitee.id'], name=op.f('fk_meeting_event_invitee_id_meeting_invitee')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_meeting_event_meeting_id_meeting')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_meeting_event_person_id_person')),
        sa.ForeignKeyConstraint(['suggestion_id'], ['meeting_suggestion.id'], name=op.f('fk_meeting_event_suggestion_id_meeting_suggestion')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_event')),
    )
    with op.batch_alter_table('meeting_event', schema=None) as batch_op:
        batch_op.create_index('ix_meeting_event_community_at', ['community_id', 'at'], unique=False)
        batch_op.create_index('ix_meeting_event_meeting_at', ['meeting_id', 'at'], unique=False)


def downgrade():
    op.drop_table('meeting_event')
    op.drop_table('meeting_suggestion')
    with op.batch_alter_table('meeting_invitee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_invitee_person_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_invitee_meeting_id'))
        batch_op.drop_index('ix_meeting_invitee_phone')
    op.drop_table('meeting_invitee')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_grid_id'))
        batch_op.drop_index('ix_meeting_community_starts')
    op.drop_table('meeting')
