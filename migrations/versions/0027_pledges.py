"""pledges: pledge, pledge_round, pledge_rating, pledge_event; rectification_plan,
rectification_action, rectification_event (issue 14)

Revision ID: 0027
Revises: 0026

Public pledges (双诺双评): each post-holder's pledges, the quarter's rating rounds and each
household's 1-5 rating of its building head's and grid leader's pledges; grids' rectification
plans (整改) with their actions and the events the ledger counts.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pledge_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('quarter_first', sa.Date(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('closes_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_pledge_round_community_id_community')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['person.id'], name=op.f('fk_pledge_round_opened_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_round')),
    sa.UniqueConstraint('community_id', 'quarter_first', name=op.f('uq_pledge_round_community_id_quarter_first'))
    )
    op.create_table('rectification_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('quarter_first', sa.Date(), nullable=False),
    sa.Column('satisfaction', sa.Double(), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.Column('recheck_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recheck_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result_comment', sa.Text(), nullable=False),
    sa.Column('result_by_id', sa.Integer(), nullable=True),
    sa.Column('result_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_rectification_plan_community_id_community')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_rectification_plan_grid_id_grid')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['person.id'], name=op.f('fk_rectification_plan_opened_by_id_person')),
    sa.ForeignKeyConstraint(['result_by_id'], ['person.id'], name=op.f('fk_rectification_plan_result_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_plan')),
    sa.UniqueConstraint('grid_id', 'quarter_first', name=op.f('uq_rectification_plan_grid_id_quarter_first'))
    )
    with op.batch_alter_table('rectification_plan', schema=None) as batch_op:
        batch_op.create_index('ix_rectification_plan_community_status', ['community_id', 'status'], unique=False)

    op.create_table('pledge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['person.id'], name=op.f('fk_pledge_approved_by_id_person')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_pledge_community_id_community')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_pledge_post_id_post')),
    sa.ForeignKeyConstraint(['written_by_id'], ['person.id'], name=op.f('fk_pledge_written_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge')),
    sa.UniqueConstraint('post_id', 'period', 'starts_on', name=op.f('uq_pledge_post_id_period_starts_on'))
    )
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.create_index('ix_pledge_community_starts', ['community_id', 'starts_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledge_post_id'), ['post_id'], unique=False)

    op.create_table('pledge_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('asked_phone', sa.String(length=20), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rated_via', sa.String(length=20), nullable=False),
    sa.Column('rated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_pledge_rating_community_id_community')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_pledge_rating_grid_id_grid')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_pledge_rating_household_id_household')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_pledge_rating_post_id_post')),
    sa.ForeignKeyConstraint(['rated_by_id'], ['person.id'], name=op.f('fk_pledge_rating_rated_by_id_person')),
    sa.ForeignKeyConstraint(['round_id'], ['pledge_round.id'], name=op.f('fk_pledge_rating_round_id_pledge_round')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_rating')),
    sa.UniqueConstraint('round_id', 'post_id', 'household_id', name=op.f('uq_pledge_rating_round_id_post_id_household_id'))
    )
    with op.batch_alter_table('pledge_rating', schema=None) as batch_op:
        batch_op.create_index('ix_pledge_rating_community_grid', ['community_id', 'grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledge_rating_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_pledge_rating_phone_asked', ['asked_phone', 'asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledge_rating_post_id'), ['post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pledge_rating_round_id'), ['round_id'], unique=False)

    op.create_table('rectification_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('done_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['done_by_id'], ['person.id'], name=op.f('fk_rectification_action_done_by_id_person')),
    sa.ForeignKeyConstraint(['holder_id'], ['person.id'], name=op.f('fk_rectification_action_holder_id_person')),
    sa.ForeignKeyConstraint(['plan_id'], ['rectification_plan.id'], name=op.f('fk_rectification_action_plan_id_rectification_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_action'))
    )
    with op.batch_alter_table('rectification_action', schema=None) as batch_op:
        batch_op.create_index('ix_rectification_action_due', ['done_at', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_action_plan_id'), ['plan_id'], unique=False)

    op.create_table('pledge_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('pledge_id', sa.Integer(), nullable=True),
    sa.Column('rating_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_pledge_event_community_id_community')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_pledge_event_grid_id_grid')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_pledge_event_person_id_person')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledge.id'], name=op.f('fk_pledge_event_pledge_id_pledge')),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], name=op.f('fk_pledge_event_post_id_post')),
    sa.ForeignKeyConstraint(['rating_id'], ['pledge_rating.id'], name=op.f('fk_pledge_event_rating_id_pledge_rating')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_event'))
    )
    with op.batch_alter_table('pledge_event', schema=None) as batch_op:
        batch_op.create_index('ix_pledge_event_community_at', ['community_id', 'at'], unique=False)

    op.create_table('rectification_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['rectification_action.id'], name=op.f('fk_rectification_event_action_id_rectification_action')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_rectification_event_community_id_community')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_rectification_event_grid_id_grid')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_rectification_event_person_id_person')),
    sa.ForeignKeyConstraint(['plan_id'], ['rectification_plan.id'], name=op.f('fk_rectification_event_plan_id_rectification_plan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_event'))
    )
    with op.batch_alter_table('rectification_event', schema=None) as batch_op:
        batch_op.create_index('ix_rectification_event_community_at', ['community_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_event_plan_id'), ['plan_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rectification_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_event_plan_id'))
        batch_op.drop_index('ix_rectification_event_community_at')

    op.drop_table('rectification_event')
    with op.batch_alter_table('pledge_event', schema=None) as batch_op:
        batch_op.drop_index('ix_pledge_event_community_at')

    op.drop_table('pledge_event')
    with op.batch_alter_table('rectification_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_action_plan_id'))
        batch_op.drop_index('ix_rectification_action_due')

    op.drop_table('rectification_action')
    with op.batch_alter_table('pledge_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_rating_round_id'))
        batch_op.drop_index(batch_op.f('ix_pledge_rating_post_id'))
        batch_op.drop_index('ix_pledge_rating_phone_asked')
        batch_op.drop_index(batch_op.f('ix_pledge_rating_household_id'))
        batch_op.drop_index('ix_pledge_rating_community_grid')

    op.drop_table('pledge_rating')
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_post_id'))
        batch_op.drop_index('ix_pledge_community_starts')

    op.drop_table('pledge')
    with op.batch_alter_table('rectification_plan', schema=None) as batch_op:
        batch_op.drop_index('ix_rectification_plan_community_status')

    op.drop_table('rectification_plan')
    op.drop_table('pledge_round')
