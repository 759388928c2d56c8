"""deputyguard: exact AWS IAM policy evaluation focused on cross-service confused-deputy keys.

The curated public API; everything not listed in `__all__` is private and may change.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deputyguard.analysis.analyze import AnalysisSettings, Analyzer, PolicyAnalysis, PolicyInput
    from deputyguard.analysis.model import Finding, PolicyVerdict, Report, Verdict
    from deputyguard.engine.compiled import CompiledPolicy, compile_policy
    from deputyguard.engine.context import Context, RequestError
    from deputyguard.engine.decision import Decision, DecisionKind, MatchedStatement
    from deputyguard.engine.evaluate import Level, PolicySet, Request, evaluate
    from deputyguard.engine.options import EngineOptions
    from deputyguard.org import OrgModel, load_org
    from deputyguard.policy.issues import Issue, PolicyError, Severity
    from deputyguard.policy.model import Policy, PolicyType
    from deputyguard.policy.parse import parse_policy

__version__ = "0.1.0"

__all__ = [
    "AnalysisSettings",
    "Analyzer",
    "CompiledPolicy",
    "Context",
    "Decision",
    "DecisionKind",
    "EngineOptions",
    "Finding",
    "Issue",
    "Level",
    "MatchedStatement",
    "OrgModel",
    "Policy",
    "PolicyAnalysis",
    "PolicyError",
    "PolicyInput",
    "PolicySet",
    "PolicyType",
    "PolicyVerdict",
    "Report",
    "Request",
    "RequestError",
    "Severity",
    "Verdict",
    "__version__",
    "compile_policy",
    "evaluate",
    "load_org",
    "parse_policy",
]

_LAZY = {
    "AnalysisSettings": "deputyguard.analysis.analyze",
    "Analyzer": "deputyguard.analysis.analyze",
    "CompiledPolicy": "deputyguard.engine.compiled",
    "Context": "deputyguard.engine.context",
    "Decision": "deputyguard.engine.decision",
    "DecisionKind": "deputyguard.engine.decision",
    "EngineOptions": "deputyguard.engine.options",
    "Finding": "deputyguard.analysis.model",
    "Issue": "deputyguard.policy.issues",
    "Level": "deputyguard.engine.evaluate",
    "MatchedStatement": "deputyguard.engine.decision",
    "OrgModel": "deputyguard.org",
    "Policy": "deputyguard.policy.model",
    "PolicyAnalysis": "deputyguard.analysis.analyze",
    "PolicyError": "deputyguard.policy.issues",
    "PolicyInput": "deputyguard.analysis.analyze",
    "PolicySet": "deputyguard.engine.evaluate",
    "PolicyType": "deputyguard.policy.model",
    "PolicyVerdict": "deputyguard.analysis.model",
    "Report": "deputyguard.analysis.model",
    "Request": "deputyguard.engine.evaluate",
    "RequestError": "deputyguard.engine.context",
    "Severity": "deputyguard.policy.issues",
    "Verdict": "deputyguard.analysis.model",
    "compile_policy": "deputyguard.engine.compiled",
    "evaluate": "deputyguard.engine.evaluate",
    "load_org": "deputyguard.org",
    "parse_policy": "deputyguard.policy.parse",
}


def __getattr__(name: str) -> Any:
    """Load public names on first use: `import deputyguard.x` stays cheap for the CLI."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'deputyguard' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
