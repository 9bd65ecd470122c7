"""initial schema: the expo, events, people, venues, programme, bookings and check-ins

Revision ID: 66311b15a3cb
Revises: 
Create Date: 2026-11-22 06:52:51.295552

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '66311b15a3cb'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('countries',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('alpha3', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.CheckConstraint('length(code) = 2', name=op.f('ck_countries_code_alpha2')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_countries')),
    sa.UniqueConstraint('alpha3', name=op.f('uq_countries_alpha3'))
    )
    op.create_table('expos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expos'))
    )
    op.create_table('networks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('acronym', sa.String(length=40), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_networks')),
    sa.UniqueConstraint('name', name=op.f('uq_networks_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_networks_slug'))
    )
    op.create_table('venues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('opens_at', sa.Time(), nullable=True),
    sa.Column('closes_at', sa.Time(), nullable=True),
    sa.Column('accessibility_notes', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.CheckConstraint('latitude IS NULL OR (latitude >= -90 AND latitude <= 90)', name=op.f('ck_venues_latitude')),
    sa.CheckConstraint('longitude IS NULL OR (longitude >= -180 AND longitude <= 180)', name=op.f('ck_venues_longitude')),
    sa.CheckConstraint('opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at', name=op.f('ck_venues_opening_hours')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venues')),
    sa.UniqueConstraint('name', name=op.f('uq_venues_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_venues_slug'))
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('expo_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registration_mode', sa.Enum('open', 'approval', 'closed', name='registrationmode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('registration_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('transfer_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_events_capacity_positive')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_events_dates_in_order')),
    sa.CheckConstraint('transfer_minutes >= 0', name=op.f('ck_events_transfer_not_negative')),
    sa.ForeignKeyConstraint(['expo_id'], ['expos.id'], name=op.f('fk_events_expo_id_expos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('slug', name=op.f('uq_events_slug'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_expo_id'), ['expo_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_is_published'), ['is_published'], unique=False)

    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('city', 'region', 'company', 'university', 'ngo', 'government', 'international', name='organisationkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_organisations_country_code_countries'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisations')),
    sa.UniqueConstraint('name', 'country_code', name=op.f('uq_organisations_name_country_code'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisations_country_code'), ['country_code'], unique=False)

    op.create_table('rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_rooms_capacity_positive')),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_rooms_venue_id_venues'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rooms')),
    sa.UniqueConstraint('venue_id', 'name', name=op.f('uq_rooms_venue_id_name'))
    )
    op.create_table('tracks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.CheckConstraint('length(colour) = 7', name=op.f('ck_tracks_colour_hex')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_tracks_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracks')),
    sa.UniqueConstraint('event_id', 'name', name=op.f('uq_tracks_event_id_name'))
    )
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracks_event_id'), ['event_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('organiser', 'staff', 'delegate', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('country_code', sa.String(length=2), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('accessibility_needs', sa.Text(), nullable=True),
    sa.Column('dietary_needs', sa.Text(), nullable=True),
    sa.Column('needs_consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('feed_token', sa.String(length=64), nullable=False),
    sa.Column('badge_token', sa.String(length=64), nullable=False),
    sa.Column('badge_code', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(accessibility_needs IS NULL AND dietary_needs IS NULL) OR needs_consent_at IS NOT NULL', name=op.f('ck_users_needs_only_with_consent')),
    sa.CheckConstraint('email = lower(email)', name=op.f('ck_users_email_lowercase')),
    sa.ForeignKeyConstraint(['country_code'], ['countries.code'], name=op.f('fk_users_country_code_countries'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_users_organisation_id_organisations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('badge_code', name=op.f('uq_users_badge_code')),
    sa.UniqueConstraint('badge_token', name=op.f('uq_users_badge_token')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('feed_token', name=op.f('uq_users_feed_token'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_country_code'), ['country_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('programme_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('kind', sa.Enum('talk', 'panel', 'workshop', 'site_visit', 'digital', 'hybrid', name='sessionkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('meeting_url', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'cancelled', name='sessionstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'digital' OR room_id IS NULL", name=op.f('ck_programme_sessions_no_room_if_digital')),
    sa.CheckConstraint("kind = 'digital' OR room_id IS NOT NULL", name=op.f('ck_programme_sessions_room_unless_digital')),
    sa.CheckConstraint("kind NOT IN ('digital', 'hybrid') OR meeting_url IS NOT NULL", name=op.f('ck_programme_sessions_meeting_url_if_online')),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_programme_sessions_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_programme_sessions_ends_after_start')),
    sa.CheckConstraint('revision >= 0', name=op.f('ck_programme_sessions_revision_not_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_programme_sessions_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_programme_sessions_room_id_rooms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], name=op.f('fk_programme_sessions_track_id_tracks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_sessions')),
    sa.UniqueConstraint('uid', name=op.f('uq_programme_sessions_uid'))
    )
    with op.batch_alter_table('programme_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_programme_sessions_event_starts', ['event_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_programme_sessions_room_starts', ['room_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_programme_sessions_track_id'), ['track_id'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'declined', 'cancelled', name='registrationstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_registrations_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_registrations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_registrations_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registrations')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_registrations_event_id_user_id'))
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index('ix_registrations_event_status', ['event_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_registrations_user_id'), ['user_id'], unique=False)

    op.create_table('user_networks',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_user_networks_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_networks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'network_id', name=op.f('pk_user_networks'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('confirmed', 'waitlisted', 'cancelled', name='bookingstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('waitlist_position', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'waitlisted') = (waitlist_position IS NOT NULL)", name=op.f('ck_bookings_position_iff_waitlisted')),
    sa.CheckConstraint('waitlist_position IS NULL OR waitlist_position > 0', name=op.f('ck_bookings_position_positive')),
    sa.ForeignKeyConstraint(['session_id'], ['programme_sessions.id'], name=op.f('fk_bookings_session_id_programme_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bookings_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_bookings_session_id_user_id'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_session_status', ['session_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_user_id'), ['user_id'], unique=False)

    op.create_table('session_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_session_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_session_changes_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['programme_sessions.id'], name=op.f('fk_session_changes_session_id_programme_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_changes'))
    )
    with op.batch_alter_table('session_changes', schema=None) as batch_op:
        batch_op.create_index('ix_session_changes_event_created', ['event_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_changes_session_id'), ['session_id'], unique=False)

    op.create_table('session_networks',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_session_networks_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['programme_sessions.id'], name=op.f('fk_session_networks_session_id_programme_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'network_id', name=op.f('pk_session_networks'))
    )
    with op.batch_alter_table('session_networks', schema=None) as batch_op:
        batch_op.create_index('ix_session_networks_network_id', ['network_id'], unique=False)

    op.create_table('session_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('speaker', 'moderator', 'host', name='sessionrolekind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['programme_sessions.id'], name=op.f('fk_session_roles_session_id_programme_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_roles')),
    sa.UniqueConstraint('session_id', 'user_id', 'role', name=op.f('uq_session_roles_session_id_user_id_role'))
    )
    with op.batch_alter_table('session_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_roles_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_roles_user_id'), ['user_id'], unique=False)

    op.create_table('check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('is_walk_in', sa.Boolean(), nullable=False),
    sa.Column('is_standing', sa.Boolean(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(booking_id IS NULL) = is_walk_in OR user_id IS NULL', name=op.f('ck_check_ins_walk_in_has_no_booking')),
    sa.CheckConstraint('NOT is_standing OR is_walk_in', name=op.f('ck_check_ins_standing_only_walk_in')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_check_ins_booking_id_bookings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['users.id'], name=op.f('fk_check_ins_checked_in_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['programme_sessions.id'], name=op.f('fk_check_ins_session_id_programme_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_check_ins_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_ins')),
    sa.UniqueConstraint('booking_id', name=op.f('uq_check_ins_booking_id')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_check_ins_session_id_user_id'))
    )
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_ins_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_ins_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('check_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_ins_user_id'))
        batch_op.drop_index(batch_op.f('ix_check_ins_session_id'))

    op.drop_table('check_ins')
    with op.batch_alter_table('session_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_roles_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_roles_session_id'))

    op.drop_table('session_roles')
    with op.batch_alter_table('session_networks', schema=None) as batch_op:
        batch_op.drop_index('ix_session_networks_network_id')

    op.drop_table('session_networks')
    with op.batch_alter_table('session_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_changes_session_id'))
        batch_op.drop_index('ix_session_changes_event_created')

    op.drop_table('session_changes')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_user_id'))
        batch_op.drop_index('ix_bookings_session_status')

    op.drop_table('bookings')
    op.drop_table('user_networks')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registrations_user_id'))
        batch_op.drop_index('ix_registrations_event_status')

    op.drop_table('registrations')
    with op.batch_alter_table('programme_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_sessions_track_id'))
        batch_op.drop_index('ix_programme_sessions_room_starts')
        batch_op.drop_index('ix_programme_sessions_event_starts')

    op.drop_table('programme_sessions')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))
        batch_op.drop_index(batch_op.f('ix_users_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_users_country_code'))

    op.drop_table('users')
    with op.batch_alter_table('tracks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracks_event_id'))

    op.drop_table('tracks')
    op.drop_table('rooms')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisations_country_code'))

    op.drop_table('organisations')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_is_published'))
        batch_op.drop_index(batch_op.f('ix_events_expo_id'))

    op.drop_table('events')
    op.drop_table('venues')
    op.drop_table('networks')
    op.drop_table('expos')
    op.drop_table('countries')
