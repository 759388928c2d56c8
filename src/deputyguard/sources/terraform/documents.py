"""Build `data "aws_iam_policy_document"` blocks into documents the way the AWS provider does,
recording the line of every statement, principal and condition block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from deputyguard.policy.jsontext import JsonSyntaxError, parse_json
from deputyguard.policy.parse import pointer_token
from deputyguard.sources.terraform.nodes import (
    Block,
    Expr,
    Interp,
    Template,
    Traversal,
    TupleExpr,
)
from deputyguard.sources.terraform.positions import put_attribute
from deputyguard.sources.terraform.values import PolicyProblem, is_marker

if TYPE_CHECKING:
    from deputyguard.sources.terraform.policy import PolicyReader

__all__ = ["DOC_TYPE", "DocStatement", "DocumentBuilder", "document_label", "dynamic_problem"]

DOC_TYPE: Final = "aws_iam_policy_document"


def document_label(expr: Expr) -> str | None:
    """`data.aws_iam_policy_document.NAME.json` (or `"${...}"` of it, as JSON syntax writes
    it) → NAME."""
    if isinstance(expr, Template) and expr.heredoc is None and len(expr.parts) == 1:
        part = expr.parts[0]
        if isinstance(part, Interp):
            expr = part.expr
    if not isinstance(expr, Traversal):
        return None
    path = expr.root_path()
    if len(path) == 4 and len(expr.steps) == 3 and path[:2] == ("data", DOC_TYPE):
        return path[2] if path[3] in ("json", "minified_json") else None
    return None


def dynamic_problem(block: Block) -> PolicyProblem:
    kind = block.labels[0] if block.labels else "?"
    return PolicyProblem(
        f'a dynamic "{kind}" block builds this policy: it cannot be analyzed statically',
        block.file,
        block.start,
    )


@dataclass
class DocStatement:
    value: dict[str, Any]
    locs: dict[str, int]
    """Pointers relative to the statement → offsets in the data block's file."""


class DocumentBuilder:
    """Builds a policy-document data block as the AWS provider does (cited in `build`)."""

    def __init__(self, reader: PolicyReader, block: Block) -> None:
        self.reader = reader
        self.ev = reader.ev
        self.block = block
        self.file = block.file

    def build(self) -> tuple[Any, dict[str, int]]:
        """Merge order and rules of the provider's data source: statements of
        `source_policy_documents` first (their Sids must be unique), then this block's
        `statement` blocks (a statement with the Sid of an earlier one replaces it in place),
        then each of `override_policy_documents` (same replacement rule); statements without a
        Sid are always appended. See
        https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document
        (arguments `source_policy_documents`, `override_policy_documents`) and `Merge` in the
        provider's internal/service/iam/iam_policy_model.go.
        """
        body = self.block.body
        dynamic = next((b for b in body.blocks if b.type == "dynamic"), None)
        if dynamic is not None:
            raise dynamic_problem(dynamic)
        merged: list[DocStatement] = []
        sids: set[str] = set()
        for name in ("source_json", "source_policy_documents"):
            for statements, at in self.documents(name):
                for statement in statements:
                    sid = statement.value.get("Sid")
                    if isinstance(sid, str) and sid:
                        if sid in sids:
                            raise PolicyProblem(
                                f"duplicate Sid {sid!r} in source_policy_documents (the provider "
                                "rejects it)",
                                self.file,
                                at,
                            )
                        sids.add(sid)
                    merge_statement(merged, statement)
        own: list[DocStatement] = []
        own_sids: set[str] = set()
        for block in body.blocks_of("statement"):
            statement = self.statement(block)
            sid = statement.value.get("Sid")
            if isinstance(sid, str) and sid:
                if sid in own_sids:
                    raise PolicyProblem(
                        f"duplicate Sid {sid!r} in the statement blocks (the provider rejects it)",
                        self.file,
                        block.start,
                    )
                own_sids.add(sid)
            own.append(statement)
        for statement in own:
            merge_statement(merged, statement)
        for name in ("override_policy_documents", "override_json"):
            for statements, _ in self.documents(name):
                for statement in statements:
                    merge_statement(merged, statement)
        locs: dict[str, int] = {"": self.block.start}
        document: dict[str, Any] = {}
        version = body.attributes.get("version")
        document["Version"] = self.ev.eval(version.expr) if version else "2012-10-17"
        locs["/Version"] = version.expr.start if version else self.block.start
        locs["/Version#key"] = version.start if version else self.block.start
        policy_id = body.attributes.get("policy_id")
        if policy_id is not None:
            document["Id"] = self.ev.eval(policy_id.expr)
            locs["/Id"], locs["/Id#key"] = policy_id.expr.start, policy_id.start
        document["Statement"] = [s.value for s in merged]
        first = merged[0].locs.get("", self.block.start) if merged else self.block.start
        locs["/Statement"] = locs["/Statement#key"] = first
        for index, statement in enumerate(merged):
            for rel, offset in statement.locs.items():
                locs[f"/Statement/{index}{rel}"] = offset
        return document, locs

    def documents(self, name: str) -> list[tuple[list[DocStatement], int]]:
        """The statements of each document listed in `name`, with where each was listed."""
        attribute = self.block.body.attributes.get(name)
        if attribute is None:
            return []
        expr = attribute.expr
        items = list(expr.items) if isinstance(expr, TupleExpr) else [expr]
        if name.endswith("_json"):
            items = [expr]
        out: list[tuple[list[DocStatement], int]] = []
        for item in items:
            label = document_label(item)
            if label is not None and (DOC_TYPE, label) in self.reader.module.data:
                document, locs = self.reader.document(label, item)
                other = self.reader.module.data[(DOC_TYPE, label)].file
                out.append((self._split(document, locs, item, same=other is self.file), item.start))
                continue
            value = self.ev.eval(item)
            texts = (
                value if isinstance(value, list) and not isinstance(expr, TupleExpr) else [value]
            )
            for text in texts:
                out.append((self._parse(text, item, name), item.start))
        return out

    def _split(
        self, document: Any, locs: dict[str, int], item: Expr, *, same: bool
    ) -> list[DocStatement]:
        statements = document.get("Statement") if isinstance(document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        if not isinstance(statements, list):
            return []
        out = []
        for index, statement in enumerate(statements):
            if not isinstance(statement, dict):
                continue
            prefix = f"/Statement/{index}"
            mine = {
                rel[len(prefix) :]: (off if same else item.start)
                for rel, off in locs.items()
                if rel == prefix or rel.startswith((prefix + "/", prefix + "#"))
            }
            mine.setdefault("", item.start)
            out.append(DocStatement(dict(statement), mine))
        return out

    def _parse(self, text: Any, item: Expr, name: str) -> list[DocStatement]:
        if is_marker(text) or not isinstance(text, str):
            reason = (
                self.reader.module.values.reasons.get(text, "") if isinstance(text, str) else ""
            )
            raise PolicyProblem(
                f"{name} lists {item.text}, which is only known when Terraform runs"
                + (f" ({reason})" if reason else "")
                + ": the policy cannot be analyzed statically",
                self.file,
                item.start,
            )
        try:
            document = parse_json(text).value
        except JsonSyntaxError as exc:
            raise PolicyProblem(
                f"invalid JSON in {name}: {exc.message}", self.file, item.start
            ) from None
        locs = {"": item.start}
        return self._split(document, locs, item, same=False)

    def statement(self, block: Block) -> DocStatement:
        dynamic = next((b for b in block.body.blocks if b.type == "dynamic"), None)
        if dynamic is not None:
            raise dynamic_problem(dynamic)
        attrs = block.body.attributes
        value: dict[str, Any] = {}
        locs: dict[str, int] = {"": block.start}
        sid_attr = attrs.get("sid")
        if sid_attr is not None:
            sid = self.ev.eval(sid_attr.expr)
            if sid not in (None, ""):
                value["Sid"] = sid
                put_attribute(locs, "/Sid", sid_attr)
        effect_attr = attrs.get("effect")
        value["Effect"] = self.ev.eval(effect_attr.expr) if effect_attr else "Allow"
        if effect_attr is not None:
            put_attribute(locs, "/Effect", effect_attr)
        else:
            locs["/Effect"] = locs["/Effect#key"] = block.start
        for name, key, variables in _LISTS:
            attribute = attrs.get(name)
            if attribute is None:
                continue
            items = self.strings(attribute.expr, variables)
            if not items:
                continue
            value[key] = items[0][0] if len(items) == 1 else [v for v, _ in items]
            put_attribute(locs, f"/{key}", attribute)
            if len(items) > 1:
                for index, (_, offset) in enumerate(items):
                    locs[f"/{key}/{index}"] = offset
        for name, key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            principal = self.principals(list(block.body.blocks_of(name)), f"/{key}", locs)
            if principal is not None:
                value[key] = principal
        condition = self.conditions(list(block.body.blocks_of("condition")), locs)
        if condition:
            value["Condition"] = condition
        return DocStatement(value, locs)

    def strings(self, expr: Expr, variables: bool) -> list[tuple[Any, int]]:
        """A list(string) argument: each value (numbers become text, `&{` becomes `${`) and where
        it was written."""
        value = self.ev.eval(expr)
        values = value if isinstance(value, list) else [] if value is None else [value]
        offsets = (
            [item.start for item in expr.items]
            if isinstance(expr, TupleExpr) and len(expr.items) == len(values)
            else [expr.start] * len(values)
        )
        out: list[tuple[Any, int]] = []
        for item, offset in zip(values, offsets, strict=True):
            if item is None:
                continue
            text = item if isinstance(item, str) else _scalar_text(item)
            if variables and isinstance(text, str):
                text = text.replace("&{", "${")
            out.append((text, offset))
        return out

    def principals(self, blocks: list[Block], pointer: str, locs: dict[str, int]) -> Any:
        if not blocks:
            return None
        locs[pointer] = locs[pointer + "#key"] = blocks[0].start
        gathered: dict[str, list[tuple[Any, int]]] = {}
        for block in blocks:
            type_attr = block.body.attributes.get("type")
            ids_attr = block.body.attributes.get("identifiers")
            if type_attr is None or ids_attr is None:
                raise PolicyProblem(
                    "a principals block needs type and identifiers", self.file, block.start
                )
            kind = self.ev.eval(type_attr.expr)
            name = kind if isinstance(kind, str) else _scalar_text(kind)
            if name not in gathered:
                gathered[name] = []
                at = f"{pointer}/{pointer_token(name)}"
                locs[at] = locs[at + "#key"] = type_attr.expr.start  # the key is the type
            gathered[name].extend(self.strings(ids_attr.expr, True))
        if list(gathered) == ["*"] and [v for v, _ in gathered["*"]] == ["*"]:
            return "*"
        out: dict[str, Any] = {}
        for name, items in gathered.items():
            at = f"{pointer}/{pointer_token(name)}"
            out[name] = items[0][0] if len(items) == 1 else [v for v, _ in items]
            if len(items) == 1:
                locs[at] = items[0][1]
            for index, (_, offset) in enumerate(items):
                if len(items) > 1:
                    locs[f"{at}/{index}"] = offset
        return out

    def conditions(self, blocks: list[Block], locs: dict[str, int]) -> dict[str, Any]:
        """Condition blocks by test and variable. Blocks repeating a test and variable have their
        values merged (terraform-provider-aws PR #33093, "handle duplicated conditions
        consistently"); one block with one value gives a string, as the provider writes it."""
        if not blocks:
            return {}
        locs["/Condition"] = locs["/Condition#key"] = blocks[0].start
        gathered: dict[str, dict[str, list[tuple[Any, int]]]] = {}
        counts: dict[tuple[str, str], int] = {}
        for block in blocks:
            attrs = block.body.attributes
            test_attr, var_attr, values_attr = (
                attrs.get(n) for n in ("test", "variable", "values")
            )
            if test_attr is None or var_attr is None or values_attr is None:
                raise PolicyProblem(
                    "a condition block needs test, variable and values", self.file, block.start
                )
            test = _scalar_text(self.ev.eval(test_attr.expr))
            variable = _scalar_text(self.ev.eval(var_attr.expr))
            at = f"/Condition/{pointer_token(test)}"
            if test not in gathered:
                gathered[test] = {}
                locs[at] = locs[at + "#key"] = test_attr.expr.start  # the key is the test
            entry = f"{at}/{pointer_token(variable)}"
            if variable not in gathered[test]:
                gathered[test][variable] = []
                locs[entry] = values_attr.expr.start
                locs[entry + "#key"] = var_attr.expr.start
            counts[(test, variable)] = counts.get((test, variable), 0) + 1
            gathered[test][variable].extend(self.strings(values_attr.expr, True))
        out: dict[str, Any] = {}
        for test, variables in gathered.items():
            out[test] = {}
            for variable, items in variables.items():
                entry = f"/Condition/{pointer_token(test)}/{pointer_token(variable)}"
                single = len(items) == 1 and counts[(test, variable)] == 1
                out[test][variable] = items[0][0] if single else [v for v, _ in items]
                if not single:
                    for index, (_, offset) in enumerate(items):
                        locs[f"{entry}/{index}"] = offset
        return out


_LISTS: Final = (
    ("actions", "Action", False),
    ("not_actions", "NotAction", False),
    ("resources", "Resource", True),
    ("not_resources", "NotResource", True),
)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def merge_statement(merged: list[DocStatement], statement: DocStatement) -> None:
    """The provider's Merge: a statement with the Sid of an existing one replaces it in place."""
    sid = statement.value.get("Sid")
    if isinstance(sid, str) and sid:
        for index, existing in enumerate(merged):
            if existing.value.get("Sid") == sid:
                merged[index] = statement
                return
    merged.append(statement)
