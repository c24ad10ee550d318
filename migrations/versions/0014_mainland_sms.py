"""mainland SMS: a provider per community, approved templates, provider holds (issue 12)

Revision ID: 0014
Revises: 0013

community.sms_provider picks the SMS provider ("twilio", "alibaba"); sms_template keeps the
code each provider approved for each message kind; sms_provider_hold stops sending through a
provider whose balance is empty; the phone simulator records provider and template.
delivery.error_code widens to 60: the providers' codes are longer than Twilio's numbers
(isv.BUSINESS_LIMIT_CONTROL).
"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.alter_column(
            'error_code', existing_type=sa.String(length=20), type_=sa.String(length=60)
        )
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_provider', sa.String(length=20), nullable=True))
    with op.batch_alter_table('dev_inbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider', sa.String(length=20), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('template', sa.String(length=40), nullable=False, server_default=''))
    op.create_table(
        'sms_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_sms_template_community_id_community')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_sms_template_updated_by_id_person')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_template')),
        sa.UniqueConstraint('community_id', 'provider', 'kind', name=op.f('uq_sms_template_community_id_provider_kind')),
    )
    op.create_table(
        'sms_provider_hold',
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=20), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('until', sa.DateTime(timezone=True), nullable=False),
        sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_sms_provider_hold_community_id_community')),
        sa.PrimaryKeyConstraint('community_id', 'provider', name=op.f('pk_sms_provider_hold')),
    )


def downgrade():
    op.drop_table('sms_provider_hold')
    op.drop_table('sms_template')
    with op.batch_alter_table('dev_inbox_message', schema=None) as batch_op:
        batch_op.drop_column('template')
        batch_op.drop_column('provider')
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.drop_column('sms_provider')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.alter_column(
            'error_code', existing_type=sa.String(length=60), type_=sa.String(length=20)
        )
