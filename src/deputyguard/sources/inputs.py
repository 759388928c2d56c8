"""Read every policy under the user's PATH arguments, whatever format holds it.

Files are recognised by content, not only by name: a `.json` file may be a policy, a
CloudFormation template or a `terraform show -json` plan; `.yaml`/`.yml`/`.template` files are read
when they are CloudFormation templates; `.tf` files are read per directory, because a Terraform
module spans its files (a policy document declared in one file is used in another).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from deputyguard.analysis.model import InputError
from deputyguard.policy.model import PolicyType
from deputyguard.sources.iac import SYMBOLIC_OWNER
from deputyguard.sources.policy_files import (
    PolicySource,
    discover,
    display_path,
    parse_policy_type,
    read_policy_text,
    read_text,
)

__all__ = ["read_paths"]

_YAML_SUFFIXES = (".yaml", ".yml", ".template")


def read_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    policy_type: str | PolicyType | None = None,
    exclude: Sequence[str] = (),
    owner: str | None = None,
) -> tuple[list[PolicySource], list[InputError], int]:
    """Read every policy under `paths`: (sources, errors, number of files that held a policy).

    `owner` is the deploying account of templates (`--account`); without it their policies
    belong to `iac.SYMBOLIC_OWNER`. A file named on the command line that holds no policy is an
    error; what a folder search finds that is plainly something else (`package.json`, a YAML
    workflow) is skipped, so scanning a repository does not fail on its tooling files.
    """
    try:
        resolved = parse_policy_type(policy_type)
    except ValueError as exc:
        return [], [InputError(None, str(exc))], 0
    deployer = owner or SYMBOLIC_OWNER
    files, errors = discover(paths, exclude=exclude)
    named = {Path(p) for p in paths}
    sources: list[PolicySource] = []
    count = 0
    modules: dict[Path, list[Path]] = defaultdict(list)
    for path in files:
        if path.suffix.lower() == ".tf":
            modules[path.parent].append(path)
            continue
        found, problems = _read_file(path, resolved, deployer, strict=path in named)
        sources.extend(found)
        errors.extend(problems)
        count += len({s.file for s in found}) if found else 0
    if modules:
        from deputyguard.sources.terraform import read_terraform_module
    for directory, module_files in modules.items():
        found, problems = read_terraform_module(
            directory, module_files, owner=deployer, display=display_path, policy_type=resolved
        )
        sources.extend(found)
        errors.extend(problems)
        count += len({s.file for s in found})
    return sources, errors, count


def _read_file(
    path: Path, policy_type: PolicyType | None, owner: str, *, strict: bool
) -> tuple[list[PolicySource], list[InputError]]:
    shown = display_path(path)
    text = read_text(path, shown)
    if isinstance(text, InputError):
        return [], [text]
    # Every template that holds a policy names an AWS:: type; the reader (and its YAML parser)
    # is imported only for files that might be one, so plain policy JSON stays fast to check.
    if "AWS::" in text or "AWSTemplateFormatVersion" in text:
        from deputyguard.sources.cloudformation import (
            looks_like_cloudformation,
            read_cloudformation,
        )

        if looks_like_cloudformation(text):
            return read_cloudformation(path, shown, text, owner=owner, policy_type=policy_type)
    suffix = path.suffix.lower()
    if suffix in _YAML_SUFFIXES:
        if strict:
            message = "not a CloudFormation template (no AWSTemplateFormatVersion or AWS:: types)"
            return [], [InputError(shown, message)]
        return [], []
    if _looks_like_plan(text):
        from deputyguard.sources.terraform import read_terraform_plan

        return read_terraform_plan(shown, text, owner=owner, policy_type=policy_type)
    return read_policy_text(shown, text, policy_type=policy_type, strict=strict)


def _looks_like_plan(text: str) -> bool:
    """`terraform show -json` output starts with its format and Terraform versions."""
    head = text[:4096]
    return '"format_version"' in head and '"terraform_version"' in head
