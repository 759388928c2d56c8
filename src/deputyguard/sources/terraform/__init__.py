"""Read Terraform: a module directory's .tf files or a `terraform show -json` plan, into
`PolicySource`s whose positions point at what the user wrote, and write fixes back as HCL.

The work is split by stage: `hcl` parses HCL keeping offsets, `eval`
evaluates expressions (owner, symbolic Region, unknown markers), `policy` finds the
policies and builds their documents, `plan` reads plans and `render` prints
and rewrites fixes. This module is the entry point the rest of deputyguard calls.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from deputyguard.analysis.model import InputError
from deputyguard.policy.model import PolicyType
from deputyguard.sources.policy_files import MAX_FILE_BYTES, PolicySource
from deputyguard.sources.terraform.eval import Module
from deputyguard.sources.terraform.hcl import parse_hcl
from deputyguard.sources.terraform.nodes import HclError, SourceFile
from deputyguard.sources.terraform.plan import looks_like_terraform_plan, read_terraform_plan
from deputyguard.sources.terraform.policy import PolicyReader
from deputyguard.sources.terraform.render import render_fix, rewrite_terraform
from deputyguard.sources.terraform.tfjson import is_tf_json, parse_tf_json
from deputyguard.sources.terraform.tfvars import read_variable_values

__all__ = [
    "is_tf_json",
    "looks_like_terraform_plan",
    "read_terraform_module",
    "read_terraform_plan",
    "render_fix",
    "rewrite_terraform",
]

_MEGABYTE: Final = 1024 * 1024


def read_terraform_module(
    directory: Path,
    files: Sequence[Path],
    *,
    owner: str,
    display: Callable[[Path], str],
    policy_type: PolicyType | None = None,
) -> tuple[list[PolicySource], list[InputError]]:
    """Every policy of one module (the .tf and .tf.json files of one directory, read together
    because a block in one file is used from another).

    A file that cannot be parsed is reported and the others are still read; references to what
    it defined become unknown values whose reason names it. Variables take the values of the
    definitions files Terraform loads itself from `directory` (`terraform.tfvars`,
    `*.auto.tfvars`, … see `tfvars`), which are read here rather than found by a folder search
    since they hold no policy of their own. `policy_type` overrides the type the resource
    implies.
    """
    module = Module(directory=directory, owner=owner)
    errors: list[InputError] = []
    variables = read_variable_values(directory, display, _read_text)
    module.variable_values = variables.values
    module.broken_variable_files = variables.broken
    for path in files:
        shown = display(path)
        text = _read_text(path, shown)
        if isinstance(text, InputError):
            errors.append(text)
            module.broken.append(shown)
            continue
        file = SourceFile(path, shown, text)
        try:
            if is_tf_json(path.name):
                body, problems = parse_tf_json(file)
            else:
                body, problems = parse_hcl(file), []
        except HclError as exc:
            where = file.position(exc.offset)
            errors.append(InputError(shown, exc.message, where.line, where.column))
            module.broken.append(shown)
            continue
        for problem in problems:
            where = file.position(problem.offset)
            errors.append(InputError(shown, problem.message, where.line, where.column))
        module.files.append(file)
        for block in body.blocks:
            module.add(block)
    errors.extend(variables.errors)
    reader = PolicyReader(module, display, policy_type)
    reader.read()
    return reader.sources, errors + reader.errors


def _read_text(path: Path, shown: str) -> str | InputError:
    """The file as UTF-8 text, or why it cannot be HCL."""
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // _MEGABYTE
            return InputError(
                shown, f"file is {size / _MEGABYTE:.1f} MB, over the {limit} MB limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        return InputError(shown, f"cannot read it: {exc.strerror or exc}")
    if b"\x00" in data:
        return InputError(shown, "binary file (contains NUL bytes), not HCL text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return InputError(shown, f"not UTF-8 text (invalid byte 0x{data[exc.start]:02x})", line)
