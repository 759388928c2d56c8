"""Optional native build: with DEPUTYGUARD_MYPYC=1 the evaluation hot path is compiled with mypyc.

The package is pure Python and every module keeps working uncompiled; the compiled build runs the
same code about 1.8 times faster (`make compiled`, used by `make bench` and tested in CI). Build
it without build isolation from an environment that has the pinned mypy (see the Makefile), and
never as an editable install: compiled modules placed beside their sources would shadow edits.
"""

from __future__ import annotations

import os

from setuptools import setup

COMPILED_MODULES = [
    "src/deputyguard/wildcard.py",
    "src/deputyguard/awsdata/arn.py",
    "src/deputyguard/awsdata/catalog.py",
    "src/deputyguard/awsdata/global_keys.py",
    "src/deputyguard/org/derive.py",
    "src/deputyguard/policy/issues.py",
    "src/deputyguard/policy/jsontext.py",
    "src/deputyguard/policy/limits.py",
    "src/deputyguard/policy/model.py",
    "src/deputyguard/policy/operators.py",
    "src/deputyguard/policy/parse.py",
    "src/deputyguard/policy/validate.py",
    "src/deputyguard/engine/compiled.py",
    "src/deputyguard/engine/conditions.py",
    "src/deputyguard/engine/context.py",
    "src/deputyguard/engine/decision.py",
    "src/deputyguard/engine/evaluate.py",
    "src/deputyguard/engine/options.py",
    "src/deputyguard/engine/principals.py",
    "src/deputyguard/engine/values.py",
    "src/deputyguard/engine/variables.py",
    "src/deputyguard/simulate/cases.py",
    "src/deputyguard/simulate/runner.py",
    "src/deputyguard/commands/simulate.py",
]
"""The request-evaluation path of `simulate` (and of the analyzer's probes): parsing,
validation, compilation and evaluation. Readers, analysis and reports stay interpreted."""

ext_modules = []
if os.environ.get("DEPUTYGUARD_MYPYC") == "1":
    from mypyc.build import mypycify

    ext_modules = mypycify(COMPILED_MODULES, opt_level="3")

setup(ext_modules=ext_modules)
