"""OrgModel queries: entity paths, parent chains and RCP levels (spec §6.1, §8, §5.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from deputyguard.org import (
    Organization,
    OrgModel,
    OrgUnit,
    RcpAttachment,
    SourceLocation,
    load_org,
)

DATA = Path(__file__).parent / "data"
ORG = "o-a1b2c3d4e5"
PROD_PATH = f"{ORG}/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"


@pytest.fixture(scope="module")
def model() -> OrgModel:
    return load_org(DATA / "org.yaml")


def test_accounts_are_sorted_and_units_depth_first(model: OrgModel) -> None:
    assert model.accounts() == ("111111111111", "111122223333", "222233334444")
    assert [u.id for u in model.units()] == ["ou-ab12-11111111", "ou-ab12-22222222"]
    assert [u.path for u in model.units()] == [f"{ORG}/r-ab12/ou-ab12-11111111/", PROD_PATH]


def test_entity_path_of_nested_ou_account_has_no_account_segment(model: OrgModel) -> None:
    assert model.entity_path_of("222233334444") == PROD_PATH
    assert model.entity_path_of("111122223333") == f"{ORG}/r-ab12/ou-ab12-11111111/"


def test_entity_path_of_account_directly_under_root(model: OrgModel) -> None:
    assert model.entity_path_of("111111111111") == f"{ORG}/r-ab12/"


def test_parent_chain_runs_root_to_account(model: OrgModel) -> None:
    assert model.parent_chain("222233334444") == (
        "r-ab12",
        "ou-ab12-11111111",
        "ou-ab12-22222222",
        "222233334444",
    )
    assert model.parent_chain("111111111111") == ("r-ab12", "111111111111")


def test_rcp_levels_follow_parent_chain(model: OrgModel) -> None:
    levels = model.rcp_levels("222233334444")
    assert len(levels) == len(model.parent_chain("222233334444"))
    assert [[r.name for r in level] for level in levels] == [
        ["confused-deputy"],
        [],
        ["rcp.json"],
        ["rcp.json"],
    ]
    assert [[r.name for r in level] for level in model.rcp_levels("111111111111")] == [
        ["confused-deputy"],
        [],
    ]


def test_outside_accounts_have_no_org_facts(model: OrgModel) -> None:
    outsider = "444455556666"  # trusted, but not a member
    assert outsider in model.trusted_accounts
    assert not model.contains_account(outsider)
    assert model.org_id_of(outsider) is None
    assert model.entity_path_of(outsider) is None
    assert model.parent_chain(outsider) == ()
    assert model.rcp_levels(outsider) == ()


def test_management_account(model: OrgModel) -> None:
    assert model.is_management_account("111111111111")
    assert not model.is_management_account("111122223333")
    # The management account is a member: it has an org id and a path like any other account.
    assert model.contains_account("111111111111")
    assert model.org_id_of("111111111111") == ORG


def test_members_get_the_org_id(model: OrgModel) -> None:
    assert all(model.org_id_of(a) == ORG for a in model.accounts())


def test_five_levels_deep_path() -> None:
    model = load_org(DATA / "deep.yaml")
    ous = "/".join(f"ou-ab12-0000000{i}" for i in range(1, 6))
    assert model.entity_path_of("555555555555") == f"{ORG}/r-ab12/{ous}/"
    assert len(model.parent_chain("555555555555")) == 7  # root, five OUs, the account


def test_empty_model() -> None:
    model = OrgModel(None, frozenset({"444455556666"}), frozenset())
    assert model.accounts() == ()
    assert model.units() == ()
    assert not model.contains_account("444455556666")
    assert not model.is_management_account("444455556666")


def _unit(unit_id: str, accounts: tuple[str, ...], path: str) -> OrgUnit:
    return OrgUnit(unit_id, None, accounts, (), path)


def test_hand_built_model_and_equality_ignores_locations() -> None:
    def build(line: int) -> OrgModel:
        rcp = RcpAttachment(
            "r-ab12", "guard", {"Version": "2012-10-17"}, SourceLocation("f", line, 1)
        )
        unit = _unit("ou-ab12-11111111", ("222222222222",), f"{ORG}/r-ab12/ou-ab12-11111111/")
        org = Organization(ORG, "r-ab12", None, ("111111111111",), (unit,), (rcp,))
        return OrgModel(org, frozenset(), frozenset())

    assert build(1) == build(99)
    assert hash(build(1)) == hash(build(99))
    assert build(1).parent_chain("222222222222") == ("r-ab12", "ou-ab12-11111111", "222222222222")


def test_hand_built_model_rejects_account_in_two_places() -> None:
    unit = _unit("ou-ab12-11111111", ("111111111111",), f"{ORG}/r-ab12/ou-ab12-11111111/")
    org = Organization(ORG, "r-ab12", None, ("111111111111",), (unit,), ())
    with pytest.raises(ValueError, match="appears twice"):
        OrgModel(org, frozenset(), frozenset())


def test_hand_built_model_rejects_a_wrong_ou_path() -> None:
    unit = _unit("ou-ab12-11111111", (), f"{ORG}/r-ab12/")
    org = Organization(ORG, "r-ab12", None, (), (unit,), ())
    with pytest.raises(ValueError, match="expected"):
        OrgModel(org, frozenset(), frozenset())
