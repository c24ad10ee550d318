"""role_permissions: a community's own permissions for a role (issue 10, least privilege)

Revision ID: 0008
Revises: 0007

Without a row a role has its default permissions (models.roles.DEFAULT_PERMISSIONS).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'role_permissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=40), nullable=False),
        sa.Column('permissions', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_role_permissions_community_id_community')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_role_permissions')),
        sa.UniqueConstraint('community_id', 'role', name=op.f('uq_role_permissions_community_id_role')),
    )
    with op.batch_alter_table('role_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_permissions_community_id'), ['community_id'], unique=False)


def downgrade():
    with op.batch_alter_table('role_permissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_permissions_community_id'))
    op.drop_table('role_permissions')
