"""How a policy document spells a value that is unknown until deployment.

Templates hold values nobody can know before they are deployed (a CloudFormation parameter
without a default, a Terraform variable). The readers (`sources.iac`) write each as an opaque
marker string, `deputyguard-unknown-<n>`, so partly known strings keep their known parts; the
analyzer (`analysis.unknowns`) recognises markers to bracket what the value could be. Both sides
meet here, below them in the layers.
"""

from __future__ import annotations

from typing import Final

__all__ = ["UNKNOWN_PREFIX", "has_unknown"]

UNKNOWN_PREFIX: Final = "deputyguard-unknown-"


def has_unknown(value: object) -> bool:
    """Whether a document fragment holds an unknown marker anywhere (keys included)."""
    if isinstance(value, str):
        return UNKNOWN_PREFIX in value
    if isinstance(value, dict):
        return any(has_unknown(k) or has_unknown(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False
