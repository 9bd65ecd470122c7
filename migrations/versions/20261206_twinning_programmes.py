"""twinning programmes: calls, pilot cities, pairs, meetings, one-to-ones, travel claims and replication plans

Revision ID: tw1a2b3c4d5e
Revises: so4a1c7e2b90
Create Date: 2026-12-06 20:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "tw1a2b3c4d5e"
down_revision = "so4a1c7e2b90"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('twinning_programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('travel_cap', sa.Integer(), nullable=False),
    sa.Column('max_twins', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('one_to_one_tables', sa.Integer(), nullable=False),
    sa.Column('separate_countries', sa.Boolean(), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('matched_total', sa.Double(), nullable=True),
    sa.Column('greedy_total', sa.Double(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_twins >= 1', name=op.f('ck_twinning_programmes_max_twins_positive')),
    sa.CheckConstraint('travel_cap >= 0', name=op.f('ck_twinning_programmes_travel_cap_not_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_twinning_programmes_event_id_events'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_programmes'))
    )
    with op.batch_alter_table('twinning_programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_programmes_event_id'), ['event_id'], unique=False)

    op.create_table('twinning_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=200), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('challenges', sa.Text(), nullable=False),
    sa.Column('offers', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'shortlisted', 'accepted', 'declined', name='applicationstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_twinning_applications_country_code_countries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['twinning_programmes.id'], name=op.f('fk_twinning_applications_programme_id_twinning_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_twinning_applications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_applications')),
    sa.UniqueConstraint('programme_id', 'user_id', name=op.f('uq_twinning_applications_programme_id_user_id'))
    )
    with op.batch_alter_table('twinning_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_applications_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_applications_user_id'), ['user_id'], unique=False)

    op.create_table('twinning_modules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_twinning_modules_dates_in_order')),
    sa.ForeignKeyConstraint(['programme_id'], ['twinning_programmes.id'], name=op.f('fk_twinning_modules_programme_id_twinning_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_modules'))
    )
    with op.batch_alter_table('twinning_modules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_modules_programme_id'), ['programme_id'], unique=False)

    op.create_table('twinning_one_to_ones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('invitee_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('table', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('requested', 'accepted', 'declined', name='onetoonestatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_twinning_one_to_ones_times_in_order')),
    sa.CheckConstraint('requester_id <> invitee_id', name=op.f('ck_twinning_one_to_ones_two_people')),
    sa.ForeignKeyConstraint(['invitee_id'], ['users.id'], name=op.f('fk_twinning_one_to_ones_invitee_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['twinning_programmes.id'], name=op.f('fk_twinning_one_to_ones_programme_id_twinning_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_twinning_one_to_ones_requester_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_one_to_ones'))
    )
    with op.batch_alter_table('twinning_one_to_ones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_one_to_ones_invitee_id'), ['invitee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_one_to_ones_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index('ix_twinning_one_to_ones_table_starts', ['programme_id', 'table', 'starts_at'], unique=False)

    op.create_table('twinning_pilots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('offers', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_twinning_pilots_country_code_countries'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['twinning_programmes.id'], name=op.f('fk_twinning_pilots_programme_id_twinning_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_pilots')),
    sa.UniqueConstraint('programme_id', 'name', name=op.f('uq_twinning_pilots_programme_id_name'))
    )
    with op.batch_alter_table('twinning_pilots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_pilots_programme_id'), ['programme_id'], unique=False)

    op.create_table('twinning_application_contacts',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['twinning_applications.id'], name=op.f('fk_twinning_application_contacts_application_id_twinning_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_twinning_application_contacts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_id', 'user_id', name=op.f('pk_twinning_application_contacts'))
    )
    op.create_table('twinning_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['twinning_applications.id'], name=op.f('fk_twinning_meetings_application_id_twinning_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['twinning_modules.id'], name=op.f('fk_twinning_meetings_module_id_twinning_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['twinning_pilots.id'], name=op.f('fk_twinning_meetings_pilot_id_twinning_pilots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['twinning_programmes.id'], name=op.f('fk_twinning_meetings_programme_id_twinning_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['programme_sessions.id'], name=op.f('fk_twinning_meetings_session_id_programme_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_meetings')),
    sa.UniqueConstraint('session_id', name=op.f('uq_twinning_meetings_session_id'))
    )
    with op.batch_alter_table('twinning_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_meetings_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_meetings_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_meetings_pilot_id'), ['pilot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_meetings_programme_id'), ['programme_id'], unique=False)

    op.create_table('twinning_pair_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('lock', 'forbid', name='pairrulekind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['twinning_applications.id'], name=op.f('fk_twinning_pair_rules_application_id_twinning_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['twinning_pilots.id'], name=op.f('fk_twinning_pair_rules_pilot_id_twinning_pilots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_pair_rules')),
    sa.UniqueConstraint('application_id', 'pilot_id', name=op.f('uq_twinning_pair_rules_application_id_pilot_id'))
    )
    with op.batch_alter_table('twinning_pair_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_pair_rules_pilot_id'), ['pilot_id'], unique=False)

    op.create_table('twinning_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['twinning_applications.id'], name=op.f('fk_twinning_pairs_application_id_twinning_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['twinning_pilots.id'], name=op.f('fk_twinning_pairs_pilot_id_twinning_pilots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['twinning_programmes.id'], name=op.f('fk_twinning_pairs_programme_id_twinning_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_pairs')),
    sa.UniqueConstraint('application_id', name=op.f('uq_twinning_pairs_application_id'))
    )
    with op.batch_alter_table('twinning_pairs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_pairs_pilot_id'), ['pilot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_pairs_programme_id'), ['programme_id'], unique=False)

    op.create_table('twinning_pilot_contacts',
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['twinning_pilots.id'], name=op.f('fk_twinning_pilot_contacts_pilot_id_twinning_pilots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_twinning_pilot_contacts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pilot_id', 'user_id', name=op.f('pk_twinning_pilot_contacts'))
    )
    op.create_table('twinning_replication_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('pilot_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(application_id IS NULL) <> (pilot_id IS NULL)', name=op.f('ck_twinning_replication_plans_one_city')),
    sa.ForeignKeyConstraint(['application_id'], ['twinning_applications.id'], name=op.f('fk_twinning_replication_plans_application_id_twinning_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['twinning_pilots.id'], name=op.f('fk_twinning_replication_plans_pilot_id_twinning_pilots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['twinning_programmes.id'], name=op.f('fk_twinning_replication_plans_programme_id_twinning_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_twinning_replication_plans_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_replication_plans')),
    sa.UniqueConstraint('application_id', name=op.f('uq_twinning_replication_plans_application_id')),
    sa.UniqueConstraint('pilot_id', name=op.f('uq_twinning_replication_plans_pilot_id'))
    )
    with op.batch_alter_table('twinning_replication_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_replication_plans_programme_id'), ['programme_id'], unique=False)

    op.create_table('twinning_travel_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('pilot_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('claimed_by_id', sa.Integer(), nullable=True),
    sa.Column('travelled_on', sa.Date(), nullable=False),
    sa.Column('mode', sa.Enum('train', 'bus', 'car', 'plane', 'boat', 'other', name='travelmode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('receipt_name', sa.String(length=200), nullable=False),
    sa.Column('receipt_type', sa.String(length=100), nullable=False),
    sa.Column('receipt', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'approved', 'refused', name='claimstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(application_id IS NULL) <> (pilot_id IS NULL)', name=op.f('ck_twinning_travel_claims_one_city')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_twinning_travel_claims_amount_positive')),
    sa.ForeignKeyConstraint(['application_id'], ['twinning_applications.id'], name=op.f('fk_twinning_travel_claims_application_id_twinning_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], name=op.f('fk_twinning_travel_claims_claimed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['twinning_meetings.id'], name=op.f('fk_twinning_travel_claims_meeting_id_twinning_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pilot_id'], ['twinning_pilots.id'], name=op.f('fk_twinning_travel_claims_pilot_id_twinning_pilots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['twinning_programmes.id'], name=op.f('fk_twinning_travel_claims_programme_id_twinning_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twinning_travel_claims'))
    )
    with op.batch_alter_table('twinning_travel_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twinning_travel_claims_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_travel_claims_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_travel_claims_pilot_id'), ['pilot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twinning_travel_claims_programme_id'), ['programme_id'], unique=False)



def downgrade():
    with op.batch_alter_table('twinning_travel_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_travel_claims_programme_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_travel_claims_pilot_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_travel_claims_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_travel_claims_application_id'))

    op.drop_table('twinning_travel_claims')
    with op.batch_alter_table('twinning_replication_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_replication_plans_programme_id'))

    op.drop_table('twinning_replication_plans')
    op.drop_table('twinning_pilot_contacts')
    with op.batch_alter_table('twinning_pairs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_pairs_programme_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_pairs_pilot_id'))

    op.drop_table('twinning_pairs')
    with op.batch_alter_table('twinning_pair_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_pair_rules_pilot_id'))

    op.drop_table('twinning_pair_rules')
    with op.batch_alter_table('twinning_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_meetings_programme_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_meetings_pilot_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_meetings_module_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_meetings_application_id'))

    op.drop_table('twinning_meetings')
    op.drop_table('twinning_application_contacts')
    with op.batch_alter_table('twinning_pilots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_pilots_programme_id'))

    op.drop_table('twinning_pilots')
    with op.batch_alter_table('twinning_one_to_ones', schema=None) as batch_op:
        batch_op.drop_index('ix_twinning_one_to_ones_table_starts')
        batch_op.drop_index(batch_op.f('ix_twinning_one_to_ones_requester_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_one_to_ones_invitee_id'))

    op.drop_table('twinning_one_to_ones')
    with op.batch_alter_table('twinning_modules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_modules_programme_id'))

    op.drop_table('twinning_modules')
    with op.batch_alter_table('twinning_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_applications_user_id'))
        batch_op.drop_index(batch_op.f('ix_twinning_applications_status'))
        batch_op.drop_index(batch_op.f('ix_twinning_applications_programme_id'))

    op.drop_table('twinning_applications')
    with op.batch_alter_table('twinning_programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twinning_programmes_event_id'))

    op.drop_table('twinning_programmes')
