"""The organization model: where accounts sit, what org keys AWS derives from it, and RCPs."""

from deputyguard.org.derive import (
    ContextValues,
    SourceRef,
    principal_context,
    resource_context,
    source_context,
)
from deputyguard.org.load import load_org, org_from_data, parse_document
from deputyguard.org.model import (
    DocumentMap,
    HasPosition,
    Organization,
    OrgModel,
    OrgModelError,
    OrgProblem,
    OrgUnit,
    Position,
    RcpAttachment,
    SourceLocation,
    pointer_join,
)

__all__ = [
    "ContextValues",
    "DocumentMap",
    "HasPosition",
    "OrgModel",
    "OrgModelError",
    "OrgProblem",
    "OrgUnit",
    "Organization",
    "Position",
    "RcpAttachment",
    "SourceLocation",
    "SourceRef",
    "load_org",
    "org_from_data",
    "parse_document",
    "pointer_join",
    "principal_context",
    "resource_context",
    "source_context",
]
