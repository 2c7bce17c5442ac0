"""All tables of the platform, one module per entity group.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic and the tests rely
on it). Phone numbers live only in :class:`DossierContact` (and, for fieldwork, the invitation
tables): no ``*Public`` schema an analyst receives has a phone field.
"""

from sqlmodel import SQLModel

from survey.models.audit import AuditEvent, AuditHead
from survey.models.backchecks import Backcheck, BackcheckPlan, CollectedForm, ResponseExclusion
from survey.models.base import NAMING_CONVENTION, use_aware_datetimes, utcnow
from survey.models.data_entry import PaperEntry, PaperKeying
from survey.models.designs import Design, Draw, SampleUnit
from survey.models.fieldwork import (
    Campaign,
    Invitation,
    Response,
    SmsMessage,
    SmsOptOut,
)
from survey.models.frames import Dossier, DossierContact, Frame, FrameImportProblem, GeoMapping
from survey.models.interviews import InterviewAssignment, InterviewAttempt
from survey.models.operations import WorkerHeartbeat
from survey.models.paper_forms import PaperForm
from survey.models.questionnaires import Questionnaire
from survey.models.rate_limits import RateLimitCounter
from survey.models.releases import IndexRelease
from survey.models.users import ApiToken, Role, StaffUser, UserScope

# After every table above is registered: SQLite's naive datetimes come back aware (UTC).
use_aware_datetimes(SQLModel.metadata)

__all__ = [
    "NAMING_CONVENTION",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Backcheck",
    "BackcheckPlan",
    "Campaign",
    "CollectedForm",
    "Design",
    "Dossier",
    "DossierContact",
    "Draw",
    "Frame",
    "FrameImportProblem",
    "GeoMapping",
    "IndexRelease",
    "InterviewAssignment",
    "InterviewAttempt",
    "Invitation",
    "PaperEntry",
    "PaperForm",
    "PaperKeying",
    "Questionnaire",
    "RateLimitCounter",
    "Response",
    "ResponseExclusion",
    "Role",
    "SampleUnit",
    "SmsMessage",
    "SmsOptOut",
    "StaffUser",
    "UserScope",
    "WorkerHeartbeat",
    "utcnow",
]
