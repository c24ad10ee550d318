"""report_in, unit_quarter: 双报到, members and units reporting in; a unit's quarter (issue 14)

Revision ID: 0022
Revises: 0021

A report-in waits for the secretary (approved or declined with a reason); a partner unit's
quarter keeps the summary sent to its liaison, the unit's feedback and the community's score.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'report_in',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('partner_unit_id', sa.Integer(), nullable=True),
        sa.Column('unit_name', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=True),
        sa.Column('via', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('entered_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_report_in_community_id_community')),
        sa.ForeignKeyConstraint(['partner_unit_id'], ['partner_unit.id'], name=op.f('fk_report_in_partner_unit_id_partner_unit')),
        sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_report_in_person_id_person')),
        sa.ForeignKeyConstraint(['entered_by_id'], ['person.id'], name=op.f('fk_report_in_entered_by_id_person')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['person.id'], name=op.f('fk_report_in_decided_by_id_person')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_in')),
    )
    with op.batch_alter_table('report_in', schema=None) as batch_op:
        batch_op.create_index('ix_report_in_community_status', ['community_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_in_partner_unit_id'), ['partner_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_in_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_in_phone'), ['phone'], unique=False)

    op.create_table(
        'unit_quarter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('partner_unit_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Date(), nullable=False),
        sa.Column('summary_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('feedback', sa.Text(), nullable=False),
        sa.Column('feedback_via', sa.String(length=20), nullable=False),
        sa.Column('feedback_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('evaluated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('evaluated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['partner_unit_id'], ['partner_unit.id'], name=op.f('fk_unit_quarter_partner_unit_id_partner_unit')),
        sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_unit_quarter_community_id_community')),
        sa.ForeignKeyConstraint(['evaluated_by_id'], ['person.id'], name=op.f('fk_unit_quarter_evaluated_by_id_person')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_quarter')),
        sa.UniqueConstraint('partner_unit_id', 'quarter', name=op.f('uq_unit_quarter_partner_unit_id_quarter')),
    )
    with op.batch_alter_table('unit_quarter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_quarter_community_id'), ['community_id'], unique=False)


def downgrade():
    with op.batch_alter_table('unit_quarter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_quarter_community_id'))
    op.drop_table('unit_quarter')
    with op.batch_alter_table('report_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_in_phone'))
        batch_op.drop_index(batch_op.f('ix_report_in_person_id'))
        batch_op.drop_index(batch_op.f('ix_report_in_partner_unit_id'))
        batch_op.drop_index('ix_report_in_community_status')
    op.drop_table('report_in')
