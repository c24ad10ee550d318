"""micro-wishes (issue 5): photo, wish, wish_event

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['person.id'], name=op.f('fk_photo_uploaded_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo'))
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_uploaded_by_id'), ['uploaded_by_id'], unique=False)

    op.create_table('wish',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimer_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fulfilled_note', sa.Text(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_level', sa.Integer(), nullable=True),
    sa.Column('need_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_wish_building_id_building')),
    sa.ForeignKeyConstraint(['claimer_id'], ['person.id'], name=op.f('fk_wish_claimer_id_person')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_wish_community_id_community')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_wish_grid_id_grid')),
    sa.ForeignKeyConstraint(['photo_id'], ['photo.id'], name=op.f('fk_wish_photo_id_photo')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['person.id'], name=op.f('fk_wish_posted_by_id_person')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_wish_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish'))
    )
    with op.batch_alter_table('wish', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wish_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wish_claimer_id'), ['claimer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wish_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wish_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('ix_wish_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index('ix_wish_grid_status', ['grid_id', 'status'], unique=False)

    op.create_table('wish_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wish_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('once_key', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['person.id'], name=op.f('fk_wish_event_actor_id_person')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_wish_event_community_id_community')),
    sa.ForeignKeyConstraint(['wish_id'], ['wish.id'], name=op.f('fk_wish_event_wish_id_wish')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wish_event')),
    sa.UniqueConstraint('wish_id', 'once_key', name=op.f('uq_wish_event_wish_id_once_key'))
    )
    with op.batch_alter_table('wish_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wish_event_wish_id'), ['wish_id'], unique=False)
        batch_op.create_index('ix_wish_event_actor_at', ['actor_id', 'at'], unique=False)
        batch_op.create_index('ix_wish_event_community_at', ['community_id', 'at'], unique=False)


def downgrade():
    op.drop_table('wish_event')
    op.drop_table('wish')
    op.drop_table('photo')
