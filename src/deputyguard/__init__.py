"""deputyguard: exact AWS IAM policy evaluation focused on cross-service confused-deputy keys.

The curated public API; everything not listed in `__all__` is private and may change.
"""

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
