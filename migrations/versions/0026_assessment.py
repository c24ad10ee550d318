"""assessment: weights, a period's assessment of grids and post-holders, stars, awards (issue 14)

Revision ID: 0026
Revises: 0025

A published assessment keeps each subject's indicator values and weights, manual score,
total, rank and stars as they were published; awards name a row of one.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('computed_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_assessment_community_id_community')),
    sa.ForeignKeyConstraint(['computed_by_id'], ['person.id'], name=op.f('fk_assessment_computed_by_id_person')),
    sa.ForeignKeyConstraint(['published_by_id'], ['person.id'], name=op.f('fk_assessment_published_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment')),
    sa.UniqueConstraint('community_id', 'year', 'quarter', name=op.f('uq_assessment_community_id_year_quarter'))
    )
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_community_id'), ['community_id'], unique=False)

    op.create_table('assessment_weight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('street_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(street_id IS NULL) <> (community_id IS NULL)', name=op.f('ck_assessment_weight_owner')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_assessment_weight_community_id_community')),
    sa.ForeignKeyConstraint(['set_by_id'], ['person.id'], name=op.f('fk_assessment_weight_set_by_id_person')),
    sa.ForeignKeyConstraint(['street_id'], ['street.id'], name=op.f('fk_assessment_weight_street_id_street')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_weight')),
    sa.UniqueConstraint('community_id', 'indicator', name='uq_assessment_weight_community'),
    sa.UniqueConstraint('street_id', 'indicator', name='uq_assessment_weight_street')
    )
    op.create_table('assessment_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('computed', sa.Float(), nullable=True),
    sa.Column('manual', sa.Float(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('stars', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_row_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_assessment_row_grid_id_grid')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_assessment_row_person_id_person')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_assessment_row_post_id_post')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_row'))
    )
    with op.batch_alter_table('assessment_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_row_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index('ix_assessment_row_grid', ['grid_id'], unique=False)
        batch_op.create_index('ix_assessment_row_person', ['person_id'], unique=False)

    op.create_table('assessment_award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('conferred_by_id', sa.Integer(), nullable=True),
    sa.Column('conferred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_award_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_assessment_award_community_id_community')),
    sa.ForeignKeyConstraint(['conferred_by_id'], ['person.id'], name=op.f('fk_assessment_award_conferred_by_id_person')),
    sa.ForeignKeyConstraint(['row_id'], ['assessment_row.id'], name=op.f('fk_assessment_award_row_id_assessment_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_award'))
    )
    with op.batch_alter_table('assessment_award', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_award_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_award_community_id'), ['community_id'], unique=False)

    op.create_table('assessment_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['row_id'], ['assessment_row.id'], name=op.f('fk_assessment_value_row_id_assessment_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_value')),
    sa.UniqueConstraint('row_id', 'indicator', name=op.f('uq_assessment_value_row_id_indicator'))
    )


def downgrade():
    op.drop_table('assessment_value')
    with op.batch_alter_table('assessment_award', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_award_community_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_award_assessment_id'))

    op.drop_table('assessment_award')
    with op.batch_alter_table('assessment_row', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_row_person')
        batch_op.drop_index('ix_assessment_row_grid')
        batch_op.drop_index(batch_op.f('ix_assessment_row_assessment_id'))

    op.drop_table('assessment_row')
    op.drop_table('assessment_weight')
    with op.batch_alter_table('assessment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_community_id'))

    op.drop_table('assessment')
