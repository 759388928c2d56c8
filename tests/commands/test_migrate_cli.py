"""Migration of account-list guards to organization keys (issue 7): the access-change report is
recomputed here, independently, by evaluating the old and the new policy for every account."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from deputyguard.cli import main
from deputyguard.org import OrgModel, load_org
from deputyguard.simulate.cases import RawCase
from deputyguard.simulate.runner import Runner

EXAMPLES = Path(__file__).parents[2] / "examples" / "migration"
ORG = EXAMPLES / "org.yaml"
FOREIGN = "999988887777"


def run_fix(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, dict]:
    code = main(["fix", str(path), "--org", str(ORG), "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def _allowed(org: OrgModel, document: dict[str, Any], account: str) -> bool:
    """One request per account: the policy's service principal, on behalf of a resource of
    that account, through `simulate`'s own code path."""
    statement = document["Statement"][0]
    principal = statement["Principal"]["Service"]
    action = statement["Action"] if isinstance(statement["Action"], str) else statement["Action"][0]
    source = {"arn": f"arn:aws:cloudwatch:us-east-1:{account}:alarm:example", "account": account}
    case = {
        "id": account,
        "request": {
            "principal": principal,
            "action": action,
            "resource": statement["Resource"],
            "source": source,
        },
        "policies": {"resource": document},
    }
    result = Runner(org=org).run(RawCase(1, None, case))
    assert result.decision is not None, result.error
    return result.decision.allowed


@pytest.mark.parametrize(
    "name",
    [
        "payments-alarms-topic-payments-accounts.json",
        "platform-events-queue-most-accounts.json",
        "ingest-notifications-queue-with-partners.json",
    ],
)
def test_access_changes_match_an_independent_evaluation(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    shutil.copy(EXAMPLES / "policies" / name, path)
    code, result = run_fix(capsys, path, "--scope", "org")
    assert code == 0
    (fix,) = result["fixes"]
    reported = fix["migration"]["access_changes"]
    org = load_org(ORG)
    before = json.loads(path.read_text())
    expected: dict[str, list[str]] = {"gain": [], "keep": [], "lose": []}
    for account in sorted({*org.accounts(), *org.trusted_accounts, FOREIGN}):
        was, now = _allowed(org, before, account), _allowed(org, fix["policy"], account)
        if now and not was:
            expected["gain"].append(account)
        elif was and now:
            expected["keep"].append(account)
        elif was and not now:
            expected["lose"].append(account)
    assert reported == expected
    assert FOREIGN not in reported["gain"]
    statements = fix["policy"]["Statement"]
    assert statements[0]["Condition"]["StringEquals"]["aws:SourceOrgID"] == "o-m1g2r3t4e5"
    if "partners" in name:  # accounts outside the org keep access through their own statement
        assert statements[1]["Condition"]["StringEquals"]["aws:SourceAccount"] == [
            "900000000001",
            "900000000002",
        ]


def test_ou_scope_and_require_no_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "platform.json"
    shutil.copy(EXAMPLES / "policies" / "platform-events-queue-most-accounts.json", path)
    code, result = run_fix(capsys, path, "--scope", "ou", "--ou", "ou-mg12-payments")
    (fix,) = result["fixes"]
    assert code == 0
    assert fix["migration"]["access_changes"]["lose"]  # accounts outside payments lose access
    condition = fix["policy"]["Statement"][0]["Condition"]
    assert condition["ForAnyValue:StringLike"]["aws:SourceOrgPaths"].endswith("ou-mg12-payments/*")
    code, result = run_fix(
        capsys, path, "--scope", "ou", "--ou", "ou-mg12-payments", "--require-no-loss"
    )
    assert code == 1 and not result["fixes"]
    assert "--require-no-loss" in result["unfixed"][0]["reason"]


def test_unknown_listed_account_is_reported_not_dropped_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "security.json"
    shutil.copy(EXAMPLES / "policies" / "security-alarms-topic-stale-account.json", path)
    code = main(["fix", str(path), "--org", str(ORG), "--scope", "org", "--format", "json"])
    captured = capsys.readouterr()
    assert "300000000099 is neither in the organization model nor trusted" in captured.err
    result = json.loads(captured.out)
    assert code == 0 and result["fixes"][0]["rules"] == ["DG010"]


def test_directory_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(EXAMPLES / "policies", tmp_path / "policies")
    code, result = run_fix(capsys, tmp_path / "policies", "--scope", "org")
    summary = result["migration_summary"]
    assert summary["policies"] >= 5
    assert summary["units"]["outside the organization"]["keep"] >= 1
    assert all(counts["lose"] == 0 for counts in summary["units"].values())
    assert code in (0, 1)


def test_patterns_differing_beyond_the_account_are_reported_not_left_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Per-account ARN patterns that also differ in resource name cannot become one
    organization-wide pattern: the policy is `unfixed` with that reason."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Alarms",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": "arn:aws:sns:us-east-1:200000000003:payments-alarms",
                "Condition": {
                    "ArnLike": {
                        "aws:SourceArn": [
                            "arn:aws:cloudwatch:us-east-1:200000000006:alarm:api-*",
                            "arn:aws:cloudwatch:us-east-1:200000000007:alarm:ledger-*",
                        ]
                    }
                },
            }
        ],
    }
    path = tmp_path / "alarms.json"
    path.write_text(json.dumps(policy, indent=2))
    code, result = run_fix(capsys, path, "--scope", "org", "--account", "200000000003")
    assert result["fixes"] == []
    [unfixed] = result["unfixed"]
    assert "differ beyond the account" in unfixed["reason"]
    assert unfixed["rules"] == ["DG018"]
    assert code == 1
    assert json.loads(path.read_text()) == policy
