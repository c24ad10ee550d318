"""broadcasts fan out in a job: status, enqueued_at, prepared_through, touched_at, done_at (issue 9)

Revision ID: 0006
Revises: 0005

Broadcasts made before this were sent by their request, so they start "done".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='done', nullable=False))
        batch_op.add_column(sa.Column('enqueued_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('prepared_through', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('touched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_broadcast_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broadcast_status'))
        batch_op.drop_column('done_at')
        batch_op.drop_column('touched_at')
        batch_op.drop_column('prepared_through')
        batch_op.drop_column('enqueued_at')
        batch_op.drop_column('status')
