"""Program tables, one module per concept; importing this registers them all."""

from b24app.program.models.applications import (
    ACTIVE_STAGES,
    SEAT_HOLDING_STAGES,
    Application,
    ApplicationAttempt,
    ApplicationStage,
    ApplicationStageChange,
)
from b24app.program.models.crm_mapping import CrmMapping
from b24app.program.models.internships import (
    Internship,
    InternshipStatus,
    InternshipUniversity,
)
from b24app.program.models.organizations import Employer, University
from b24app.program.models.outbox import CrmOutbox, OutboxKind, OutboxStatus
from b24app.program.models.partnerships import (
    Partnership,
    PartnershipSeat,
    PartnershipStatus,
)
from b24app.program.models.routing import (
    Recruiter,
    RoutingCursor,
    RoutingDecision,
    RoutingRule,
    RoutingStrategy,
)
from b24app.program.models.skills import Skill
from b24app.program.models.students import Student
from b24app.program.models.terms import Term

__all__ = [
    "ACTIVE_STAGES",
    "SEAT_HOLDING_STAGES",
    "Application",
    "ApplicationAttempt",
    "ApplicationStage",
    "ApplicationStageChange",
    "CrmMapping",
    "CrmOutbox",
    "Employer",
    "Internship",
    "InternshipStatus",
    "InternshipUniversity",
    "OutboxKind",
    "OutboxStatus",
    "Partnership",
    "PartnershipSeat",
    "PartnershipStatus",
    "Recruiter",
    "RoutingCursor",
    "RoutingDecision",
    "RoutingRule",
    "RoutingStrategy",
    "Skill",
    "Student",
    "Term",
    "University",
]
