"""Read every policy under the user's PATH arguments, whatever format holds it.

Files are recognised by content, not only by name: a `.json` file may be a policy, a
CloudFormation template or a `terraform show -json` plan; `.yaml`/`.yml`/`.template` files are read
when they are CloudFormation templates; `.tf` and `.tf.json` (Terraform's JSON syntax) files are
read per directory, because a Terraform module spans its files (a policy document declared in one
file is used in another). The module reader loads the directory's variable definitions files
(`terraform.tfvars`, `*.auto.tfvars[.json]`) itself, so a folder search skips them.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
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


PARALLEL_READ_THRESHOLD = 64
"""Below this many files (or Terraform modules) a worker pool costs more than it saves."""


@dataclass(frozen=True, slots=True)
class _Unit:
    """What one worker reads: a file, or the .tf files of one Terraform module."""

    path: Path
    module_files: tuple[Path, ...] | None
    strict: bool


def read_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    policy_type: str | PolicyType | None = None,
    exclude: Sequence[str] = (),
    owner: str | None = None,
    jobs: int = 1,
) -> tuple[list[PolicySource], list[InputError], int]:
    """Read every policy under `paths`: (sources, errors, number of files that held a policy).

    `owner` is the deploying account of templates (`--account`); without it their policies
    belong to `iac.SYMBOLIC_OWNER`. A file named on the command line that holds no policy is an
    error; what a folder search finds that is plainly something else (`package.json`, a YAML
    workflow) is skipped, so scanning a repository does not fail on its tooling files. With
    `jobs` > 1 (0: one per core) many files are read in worker processes (python-hcl2's parser
    is pure Python, about 8 ms a file); results keep the input order.
    """
    try:
        resolved = parse_policy_type(policy_type)
    except ValueError as exc:
        return [], [InputError(None, str(exc))], 0
    files, errors = discover(paths, exclude=exclude)
    named = {Path(p) for p in paths}
    modules: dict[Path, list[Path]] = defaultdict(list)
    units: list[_Unit] = []
    definitions: list[Path] = []
    for path in files:
        name = path.name.lower()
        if name.endswith((".tf", ".tf.json")):
            modules[path.parent].append(path)
        elif name.endswith((".tfvars", ".tfvars.json")):
            if path in named:
                definitions.append(path)
        else:
            units.append(_Unit(path, None, path in named))
    errors.extend(_definitions_errors(definitions, modules))
    units.extend(_Unit(folder, tuple(members), False) for folder, members in modules.items())
    read = functools.partial(_read_unit, policy_type=resolved, owner=owner or SYMBOLIC_OWNER)
    jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
    # Templates are worth reading in workers (HCL parsing is slow); JSON is read faster here
    # than its sources can be sent back from a worker.
    slow = [i for i, unit in enumerate(units) if unit.path.suffix.lower() != ".json"]
    results: list[tuple[list[PolicySource], list[InputError]]] = [([], [])] * len(units)
    if jobs > 1 and len(slow) >= PARALLEL_READ_THRESHOLD:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for index, result in zip(
                slow, pool.map(read, [units[i] for i in slow], chunksize=8), strict=True
            ):
                results[index] = result
        done = set(slow)
        for index, unit in enumerate(units):
            if index not in done:
                results[index] = read(unit)
    else:
        results = [read(unit) for unit in units]
    # A JSON file that a Terraform module reads with file() is analyzed as that module's
    # resource (with its address and owner), not a second time as a bare policy.
    used_by_modules = {s.file for found, _ in results for s in found if s.origin == "terraform"}
    sources: list[PolicySource] = []
    counted: set[str] = set()
    for found, problems in results:
        kept = [s for s in found if s.origin != "json" or s.file not in used_by_modules]
        sources.extend(kept)
        errors.extend(problems)
        counted.update(s.file for s in kept)
    return sources, errors, len(counted)


def _definitions_errors(
    definitions: list[Path], modules: dict[Path, list[Path]]
) -> list[InputError]:
    """Variable definitions files named on the command line: those Terraform loads itself are
    read with the module of their folder; anything else says why it is not."""
    from deputyguard.sources.terraform.tfvars import is_auto_loaded

    errors: list[InputError] = []
    for path in definitions:
        if not is_auto_loaded(path.name):
            message = (
                "Terraform variable definitions passed with -var-file are not read (only "
                "terraform.tfvars[.json] and *.auto.tfvars[.json] are loaded automatically)"
            )
        elif path.parent not in modules:
            message = (
                "Terraform variable definitions, not a policy: name the module's folder or its "
                ".tf files to check them"
            )
        else:
            continue
        errors.append(InputError(display_path(path), message))
    return errors


def _read_unit(
    unit: _Unit, *, policy_type: PolicyType | None, owner: str
) -> tuple[list[PolicySource], list[InputError]]:
    if unit.module_files is None:
        return _read_file(unit.path, policy_type, owner, strict=unit.strict)
    from deputyguard.sources.terraform import read_terraform_module

    return read_terraform_module(
        unit.path,
        list(unit.module_files),
        owner=owner,
        display=display_path,
        policy_type=policy_type,
    )


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
