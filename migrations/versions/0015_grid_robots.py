"""grid_robot: each grid's WeCom group robot (its webhook address) for the work group (issue 12)

Revision ID: 0015
Revises: 0009

Group messages (new needs, escalated wishes, work orders, mobilisations, the visit digest)
go to the grid's work group through the robot whose webhook address is kept here.
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'grid_robot',
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('webhook_url', sa.String(length=300), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['changed_by_id'], ['person.id'], name=op.f('fk_grid_robot_changed_by_id_person')),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_grid_robot_community_id_community')),
        sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_grid_robot_grid_id_grid')),
        sa.PrimaryKeyConstraint('grid_id', name=op.f('pk_grid_robot')),
    )
    with op.batch_alter_table('grid_robot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_robot_community_id'), ['community_id'], unique=False)


def downgrade():
    with op.batch_alter_table('grid_robot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_robot_community_id'))
    op.drop_table('grid_robot')
