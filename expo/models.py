"""Imports every model so that the metadata (and Alembic) sees the whole schema."""
from expo.accounts.models import Role, User, user_networks  # noqa: F401
from expo.attendance.models import CheckIn  # noqa: F401
from expo.audit.models import AuditAction, AuditEntry  # noqa: F401
from expo.core.generations import CacheGeneration  # noqa: F401
from expo.core.mailqueue import MailStatus, OutgoingMail  # noqa: F401
from expo.events.models import Event, Expo, RegistrationMode, TeamMember, TeamRole, Track  # noqa: F401
from expo.people.models import Country, Network, Organisation, OrganisationKind  # noqa: F401
from expo.programme.models import (  # noqa: F401
    ProgrammeSession,
    SessionChange,
    SessionKind,
    SessionRole,
    SessionRoleKind,
    SessionStatus,
    session_networks,
)
from expo.registration.models import (  # noqa: F401
    Booking,
    BookingStatus,
    Registration,
    RegistrationStatus,
)
from expo.venues.models import Room, Venue  # noqa: F401
from expo.imports.models import ExternalKey, ImportBatch, RoomMapping  # noqa: F401
from expo.assistant.models import AssistantRun, RunStatus, SessionInterest  # noqa: F401
from expo.twinning.models import (  # noqa: F401
    ApplicationStatus,
    PairRule,
    PairRuleKind,
    PilotCity,
    TwinningApplication,
    TwinningModule,
    TwinningPair,
    TwinningProgramme,
)
