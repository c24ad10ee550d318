"""audit_entry: the post a read was made under and every record it showed (issue 10)

Revision ID: 0009
Revises: 0008

Every read of personal data is recorded with who, under which post, which records (or
which list and filter), and when.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('role', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('records', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_audit_entry_post_id_post'), 'post', ['post_id'], ['id'])


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_entry_post_id_post'), type_='foreignkey')
        batch_op.drop_column('records')
        batch_op.drop_column('role')
        batch_op.drop_column('post_id')
