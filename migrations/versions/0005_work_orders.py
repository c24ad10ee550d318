"""work orders and mobilisation (issue 6)

Revision ID: 0005
Revises: 0004

work_order.need_id is a plain indexed integer (no foreign key to need: that table belongs to
issue 4); work_order_claim.photo_id likewise (photo belongs to issue 5).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('work_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('places_needed', sa.Integer(), nullable=False),
    sa.Column('places_claimed', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('announced_again_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_work_order_community_id_community')),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_work_order_created_by_id_person')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_work_order_grid_id_grid')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['person.id'], name=op.f('fk_work_order_verified_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order'))
    )
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_need_id'), ['need_id'], unique=False)
        batch_op.create_index('ix_work_order_status_starts', ['status', 'starts_at'], unique=False)

    op.create_table('work_order_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_work_order_claim_order_id_work_order')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_work_order_claim_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_claim')),
    sa.UniqueConstraint('order_id', 'person_id', name=op.f('uq_work_order_claim_order_id_person_id'))
    )
    with op.batch_alter_table('work_order_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_claim_person_id'), ['person_id'], unique=False)

    op.create_table('work_order_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_work_order_event_order_id_work_order')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_work_order_event_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_event'))
    )
    with op.batch_alter_table('work_order_event', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_event_order_at', ['order_id', 'at'], unique=False)
        batch_op.create_index('ix_work_order_event_person_at', ['person_id', 'at'], unique=False)

    op.create_table('work_order_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_work_order_reminder_order_id_work_order')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_work_order_reminder_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_reminder')),
    sa.UniqueConstraint('order_id', 'person_id', 'day', name=op.f('uq_work_order_reminder_order_id_person_id_day')),
    sa.UniqueConstraint('order_id', 'person_id', 'kind', name=op.f('uq_work_order_reminder_order_id_person_id_kind'))
    )

    op.create_table('broadcast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_broadcast_community_id_community')),
    sa.ForeignKeyConstraint(['created_by_id'], ['person.id'], name=op.f('fk_broadcast_created_by_id_person')),
    sa.ForeignKeyConstraint(['order_id'], ['work_order.id'], name=op.f('fk_broadcast_order_id_work_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast'))
    )
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.create_index('ix_broadcast_community_created', ['community_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_broadcast_order_id'), ['order_id'], unique=False)

    op.create_table('broadcast_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=False),
    sa.Column('recipient_key', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('partner_unit_id', sa.Integer(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcast.id'], name=op.f('fk_broadcast_recipient_broadcast_id_broadcast')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_broadcast_recipient_grid_id_grid')),
    sa.ForeignKeyConstraint(['partner_unit_id'], ['partner_unit.id'], name=op.f('fk_broadcast_recipient_partner_unit_id_partner_unit')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_broadcast_recipient_person_id_person')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_broadcast_recipient_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcast_recipient')),
    sa.UniqueConstraint('broadcast_id', 'recipient_key', name=op.f('uq_broadcast_recipient_broadcast_id_recipient_key'))
    )
    with op.batch_alter_table('broadcast_recipient', schema=None) as batch_op:
        batch_op.create_index('ix_broadcast_recipient_person', ['person_id', 'broadcast_id'], unique=False)


def downgrade():
    with op.batch_alter_table('broadcast_recipient', schema=None) as batch_op:
        batch_op.drop_index('ix_broadcast_recipient_person')
    op.drop_table('broadcast_recipient')
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broadcast_order_id'))
        batch_op.drop_index('ix_broadcast_community_created')
    op.drop_table('broadcast')
    op.drop_table('work_order_reminder')
    with op.batch_alter_table('work_order_event', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_event_person_at')
        batch_op.drop_index('ix_work_order_event_order_at')
    op.drop_table('work_order_event')
    with op.batch_alter_table('work_order_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_claim_person_id'))
    op.drop_table('work_order_claim')
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_status_starts')
        batch_op.drop_index(batch_op.f('ix_work_order_need_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_grid_id'))
        batch_op.drop_index('ix_work_order_community_status')
    op.drop_table('work_order')
