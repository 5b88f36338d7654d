"""The exchange: incidents and seizures, nominal data, migrant smuggling reports, graded
intelligence, alerts and requests for information — each carrying who may read it.

Every shareable record has a ``Distribution`` (who may read it) and a TLP 2.0 label (what the
reader may do with it). Nominal data (people, vehicles, telephones, documents) lives apart from
the non-nominal record, as in the WCO CEN practice, with a distribution of its own that is never
wider than the record's; victims' identities never leave the recording agency.

One module per section; every model is named here, so ``from liaison.exchange.models import X``
and the migrations keep one address for each."""

from liaison.exchange.models.alerts import (
    Alert,
    AlertDelivery,
)
from liaison.exchange.models.attachments import (
    Attachment,
)
from liaison.exchange.models.exports import (
    EXPORT_KEPT,
    ExportKind,
    ExportStatus,
    IncidentExport,
)
from liaison.exchange.models.idempotency import (
    IdempotencyKey,
)
from liaison.exchange.models.identifiers import (
    RecordIdentifier,
)
from liaison.exchange.models.imports import (
    ImportStatus,
    SeizureImport,
)
from liaison.exchange.models.incidents import (
    AgeBand,
    ConcealmentMethod,
    Conveyance,
    DetectionMethod,
    Direction,
    Incident,
    LocationKind,
    PersonCategory,
    PersonCount,
    PublishedIncidentManager,
    SeizureItem,
    Sex,
)
from liaison.exchange.models.intelligence import (
    InformationCredibility,
    IntelligenceReport,
    IntelligenceSource,
    SourceReliability,
)
from liaison.exchange.models.nominal import (
    NominalEntry,
    NominalKind,
    NominalRole,
)
from liaison.exchange.models.references import (
    ReferenceCounter,
)
from liaison.exchange.models.requests import (
    InformationRequest,
    RequestStatus,
)
from liaison.exchange.models.shareable import (
    TLP,
    Distribution,
    Shareable,
    SharingGroup,
)
from liaison.exchange.models.sharing import (
    ShareRequest,
    ShareStatus,
)
from liaison.exchange.models.smuggling import (
    DocumentFraud,
    MigrantSmugglingReport,
    SmugglingMethod,
)

__all__ = [
    "EXPORT_KEPT",
    "TLP",
    "AgeBand",
    "Alert",
    "AlertDelivery",
    "Attachment",
    "ConcealmentMethod",
    "Conveyance",
    "DetectionMethod",
    "Direction",
    "Distribution",
    "DocumentFraud",
    "ExportKind",
    "ExportStatus",
    "IdempotencyKey",
    "ImportStatus",
    "Incident",
    "IncidentExport",
    "InformationCredibility",
    "InformationRequest",
    "IntelligenceReport",
    "IntelligenceSource",
    "LocationKind",
    "MigrantSmugglingReport",
    "NominalEntry",
    "NominalKind",
    "NominalRole",
    "PersonCategory",
    "PersonCount",
    "PublishedIncidentManager",
    "RecordIdentifier",
    "ReferenceCounter",
    "RequestStatus",
    "SeizureImport",
    "SeizureItem",
    "Sex",
    "ShareRequest",
    "ShareStatus",
    "Shareable",
    "SharingGroup",
    "SmugglingMethod",
    "SourceReliability",
]
