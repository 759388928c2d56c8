"""HCL text as a small expression tree whose every node knows where it was written.

python-hcl2's dict API drops positions and rewrites expressions as strings, so the reader walks
the lark parse tree that hcl2 builds (with `propagate_positions`) and keeps character offsets.
Heredocs arrive from the lexer as one token: their `${...}` interpolations are found here and
parsed on their own, with offsets shifted back into the file, so a policy written as heredoc JSON
still points at the line the user wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Final

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from deputyguard.sources.terraform.nodes import (
    Attribute,
    BinaryOp,
    Block,
    Body,
    Call,
    Chunk,
    Conditional,
    Directive,
    Expr,
    ForExpr,
    GetAttr,
    HclError,
    Index,
    Interp,
    Literal,
    Name,
    ObjectExpr,
    ObjectItem,
    Part,
    SourceFile,
    Splat,
    Step,
    Template,
    Traversal,
    TupleExpr,
    UnaryOp,
)

__all__ = ["parse_hcl", "parse_template"]


# -- parsing --------------------------------------------------------------------------------------

_NOISE: Final = frozenset({"new_line_or_comment"})
_OPERATOR: Final = re.compile(r"(==|!=|<=|>=|&&|\|\||[-+*/%<>!])\s*$")
_HEREDOC_HEAD: Final = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n")
_SIMPLE_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_FRIENDLY: Final = {
    "RBRACE": "'}'",
    "LBRACE": "'{'",
    "RSQB": "']'",
    "LSQB": "'['",
    "RPAR": "')'",
    "LPAR": "'('",
    "EQ": "'='",
    "COMMA": "','",
    "DBLQUOTE": "'\"'",
    "NAME": "a name",
    "$END": "end of file",
    "NL_OR_COMMENT": "a new line",
    "STRING_CHARS": "text",
}


def parse_hcl(file: SourceFile) -> Body:
    """The file's top-level body; HclError (with the offset of the problem) on bad input."""
    text = file.text
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # keeps offsets; columns come from the original text
    try:
        tree = hcl2.parses_to_tree(text)
    except LarkError as exc:
        raise _syntax_error(exc, text) from None
    try:
        return _Builder(file, 0).body(_only(tree, "body"))
    except RecursionError:
        raise HclError("expressions are nested too deeply to read", 0) from None


def _syntax_error(exc: LarkError, text: str) -> HclError:
    offset = getattr(exc, "pos_in_stream", None)
    if not isinstance(offset, int):
        offset = _offset_of(text, getattr(exc, "line", 1), getattr(exc, "column", 1))
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            what = "unexpected end of file"
            offset = len(text.rstrip())
        else:
            shown = str(token).strip().splitlines()[0] if str(token).strip() else repr(str(token))
            what = f"unexpected {_FRIENDLY.get(token.type, token.type)} {_short(shown)}"
        expected = sorted(_FRIENDLY.get(e, e) for e in (exc.expected or ()))
        if expected:
            more = ", …" if len(expected) > 6 else ""
            what += f" (expected {', '.join(expected[:6])}{more})"
    elif isinstance(exc, UnexpectedCharacters):
        char = text[offset] if 0 <= offset < len(text) else ""
        what = f"unexpected character {_short(char)}"
    elif isinstance(exc, UnexpectedEOF):
        what = "unexpected end of file"
        offset = len(text.rstrip())
    else:
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return HclError(f"HCL syntax error: {what}", offset)


def _short(text: str, limit: int = 40) -> str:
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])
    return "'" + shown + ("…" if len(text) > limit else "") + "'"


def _offset_of(text: str, line: int, column: int) -> int:
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    line = max(1, min(line, len(starts)))
    return starts[line - 1] + max(column, 1) - 1


def _only(tree: Any, data: str) -> Any:
    for child in tree.children:
        if isinstance(child, Tree) and child.data == data:
            return child
    raise HclError(f"malformed parse tree: no {data}", 0)


def _trees(tree: Any) -> list[Any]:
    return [c for c in tree.children if isinstance(c, Tree) and c.data not in _NOISE]


def _tokens(tree: Any) -> list[Any]:
    return [c for c in tree.children if isinstance(c, Token)]


class _Builder:
    """Turns lark trees into nodes; `delta` shifts offsets of a sub-parse back into the file.

    With `origins` (the file offset of each character of a sub-parsed template, whose escapes
    were decoded), an offset `p` of the sub-parse lands at `origins[p + delta]` instead.
    """

    def __init__(self, file: SourceFile, delta: int, origins: Sequence[int] | None = None) -> None:
        self.file = file
        self.delta = delta
        self.origins = origins

    def at(self, offset: int) -> int:
        """Where offset `offset` of the parsed text is in the file."""
        if self.origins is None:
            return offset + self.delta
        index = offset + self.delta
        if not self.origins:
            return 0
        if index >= len(self.origins):
            return self.origins[-1] + 1
        return self.origins[max(index, 0)]

    def span(self, tree: Any) -> tuple[int, int]:
        if isinstance(tree, Token):
            return self.at(_pos(tree.start_pos)), self.at(_pos(tree.end_pos))
        meta = tree.meta
        if getattr(meta, "empty", True):
            return self.at(0), self.at(0)
        return self.at(meta.start_pos), self.at(meta.end_pos)

    # -- bodies

    def body(self, tree: Any) -> Body:
        body = Body()
        for child in _trees(tree):
            if child.data == "attribute":
                name_tree, value_tree = _trees(child)[0], _trees(child)[-1]
                name = self.name_of(name_tree)
                start, end = self.span(child)
                body.attributes.setdefault(
                    name, Attribute(name, self.expr(value_tree), start, end, self.file)
                )
            elif child.data == "block":
                body.blocks.append(self.block(child))
        return body

    def block(self, tree: Any) -> Block:
        parts = _trees(tree)
        inner = parts[-1]
        names = [self.label(p) for p in parts[:-1]]
        start, end = self.span(tree)
        return Block(names[0], tuple(names[1:]), self.body(inner), start, end, self.file)

    def label(self, tree: Any) -> str:
        if tree.data == "string":
            template = self.string(tree)
            return "".join(p.text for p in template.parts if isinstance(p, Chunk))
        return self.name_of(tree)

    def name_of(self, tree: Any) -> str:
        if isinstance(tree, Token):
            return str(tree)
        if tree.data in ("identifier", "keyword", "literal_value"):
            return str(_tokens(tree)[0])
        if tree.data == "string":
            return self.label(tree)
        return str(tree.children[0]) if tree.children else ""

    # -- expressions

    def expr(self, tree: Any) -> Expr:
        if isinstance(tree, Token):  # pragma: no cover - the grammar wraps every token
            start, end = self.span(tree)
            return Literal(self.file, start, end, str(tree))
        handler = getattr(self, "_" + tree.data, None)
        if handler is None:
            start, _ = self.span(tree)
            raise HclError(f"unsupported HCL construct '{tree.data}'", start)
        result: Expr = handler(tree)
        return result

    def _expr_term(self, tree: Any) -> Expr:
        inner = _trees(tree)
        if len(inner) != 1:
            raise HclError("malformed expression", self.span(tree)[0])
        if any(isinstance(c, Token) and c.type == "LPAR" for c in tree.children):
            return self.expr(inner[0])  # parentheses only group
        return self.expr(inner[0])

    def _int_lit(self, tree: Any) -> Expr:
        start, end = self.span(tree)
        return Literal(self.file, start, end, int(str(_tokens(tree)[0])))

    def _float_lit(self, tree: Any) -> Expr:
        start, end = self.span(tree)
        value = float(str(_tokens(tree)[0]))
        return Literal(self.file, start, end, int(value) if value.is_integer() else value)

    def _literal_value(self, tree: Any) -> Expr:
        start, end = self.span(tree)
        word = str(_tokens(tree)[0])
        return Literal(self.file, start, end, {"true": True, "false": False}.get(word))

    def _identifier(self, tree: Any) -> Expr:
        start, end = self.span(tree)
        return Name(self.file, start, end, str(_tokens(tree)[0]))

    def _keyword(self, tree: Any) -> Expr:
        start, end = self.span(tree)
        return Literal(self.file, start, end, str(_tokens(tree)[0]))

    def _string(self, tree: Any) -> Expr:
        return self.string(tree)

    def string(self, tree: Any) -> Template:
        parts: list[Part] = []
        for child in tree.children:
            if not (isinstance(child, Tree) and child.data == "string_part"):
                continue
            for piece in child.children:
                if isinstance(piece, Token):
                    start = _pos(piece.start_pos)
                    if piece.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
                        raw = str(piece)[1:]  # $${ → ${, %%{ → %{
                        origins = tuple(self.at(start + 1 + i) for i in range(len(raw)))
                        parts.append(Chunk(raw, origins))
                    else:
                        parts.append(_decode_escapes(str(piece), start, self.at))
                elif piece.data == "interpolation":
                    parts.append(Interp(self.expr(_trees(piece)[0]), self.span(piece)[0]))
                else:
                    parts.append(Directive(self.span(piece)[0]))
        start, end = self.span(tree)
        return Template(self.file, start, end, _merge_chunks(parts))

    def _template_string(self, tree: Any) -> Expr:  # only inside directives
        start, end = self.span(tree)
        return Template(self.file, start, end, (Directive(start),))

    def _heredoc_template(self, tree: Any) -> Expr:
        return self.heredoc(_tokens(tree)[0])

    def _heredoc_template_trim(self, tree: Any) -> Expr:
        return self.heredoc(_tokens(tree)[0])

    def heredoc(self, token: Any) -> Template:
        value = str(token)
        first = _pos(token.start_pos)
        start = self.at(first)
        head = _HEREDOC_HEAD.match(value)
        if head is None:
            raise HclError("malformed heredoc", start)
        trim, marker = head.group(1) == "-", head.group(2)
        end = len(value)
        if value.endswith("\n"):
            end -= 1
        if value[:end].endswith("\r"):
            end -= 1
        close = end - len(marker)
        body_end = close
        while body_end > head.end() and value[body_end - 1] in " \t":
            body_end -= 1
        body = value[head.end() : body_end]
        chars = list(body)
        origins = [self.at(first + i) for i in range(head.end(), body_end)]
        if trim:
            chars, origins = _dedent(chars, origins)
        parts = parse_template("".join(chars), origins, self.file)
        return Template(self.file, start, self.at(first + end), parts, heredoc=marker, trim=trim)

    def _tuple(self, tree: Any) -> Expr:
        start, end = self.span(tree)
        return TupleExpr(self.file, start, end, tuple(self.expr(c) for c in _trees(tree)))

    def _object(self, tree: Any) -> Expr:
        items: list[ObjectItem] = []
        for elem in _trees(tree):
            key_tree, value_tree = _trees(elem)[0], _trees(elem)[-1]
            inner = _trees(key_tree)[0]
            key = self.expr(inner)
            if isinstance(key, Name) and not _parenthesized(inner):
                key = Literal(key.file, key.start, key.end, key.name)  # a bare key is its name
            items.append(ObjectItem(key, self.expr(value_tree), self.span(elem)[0]))
        start, end = self.span(tree)
        return ObjectExpr(self.file, start, end, tuple(items))

    def _function_call(self, tree: Any) -> Expr:
        names = [str(_tokens(t)[0]) for t in _trees(tree) if t.data == "identifier"]
        arguments = [t for t in _trees(tree) if t.data == "arguments"]
        args: tuple[Expr, ...] = ()
        expand = False
        if arguments:
            args = tuple(self.expr(c) for c in _trees(arguments[0]))
            expand = any(
                isinstance(c, Token) and c.type == "ELLIPSIS" for c in arguments[0].children
            )
        start, end = self.span(tree)
        return Call(self.file, start, end, "::".join(names), args, expand)

    def _traversal(self, tree: Any) -> Expr:
        base_tree, step_tree = _trees(tree)[0], _trees(tree)[-1]
        base = self.expr(base_tree)
        steps = self.steps(step_tree)
        start, end = self.span(tree)
        if isinstance(base, Traversal):
            return Traversal(self.file, start, end, base.base, base.steps + steps)
        return Traversal(self.file, start, end, base, steps)

    _index_expr_term = _traversal
    _get_attr_expr_term = _traversal
    _attr_splat_expr_term = _traversal
    _full_splat_expr_term = _traversal

    def steps(self, tree: Any) -> tuple[Step, ...]:
        offset = self.span(tree)[0]
        if tree.data == "get_attr":
            return (GetAttr(self.name_of(_trees(tree)[0]), offset),)
        if tree.data == "braces_index":
            return (Index(self.expr(_trees(tree)[0]), offset),)
        if tree.data == "short_index":
            token = next(t for t in _tokens(tree) if t.type == "INT_LITERAL")
            start = self.at(_pos(token.start_pos))
            key = Literal(self.file, start, self.at(_pos(token.end_pos)), int(str(token)))
            return (Index(key, offset),)
        if tree.data in ("attr_splat", "full_splat"):
            rest: list[Step] = [Splat(offset)]
            for child in _trees(tree):
                rest.extend(self.steps(child))
            return tuple(rest)
        raise HclError(f"unsupported traversal '{tree.data}'", offset)

    def _conditional(self, tree: Any) -> Expr:
        condition, then, other = (self.expr(c) for c in _trees(tree))
        start, end = self.span(tree)
        return Conditional(self.file, start, end, condition, then, other)

    def _binary_op(self, tree: Any) -> Expr:
        left_tree, term = _trees(tree)[0], _trees(tree)[1]
        op_tree, right_tree = _trees(term)[0], _trees(term)[-1]
        raw = str(_tokens(op_tree)[0]) if _tokens(op_tree) else ""
        match = _OPERATOR.search(raw)
        start, end = self.span(tree)
        op = match.group(1) if match else raw.strip()
        return BinaryOp(self.file, start, end, op, self.expr(left_tree), self.expr(right_tree))

    def _unary_op(self, tree: Any) -> Expr:
        op = str(_tokens(tree)[0])
        start, end = self.span(tree)
        return UnaryOp(self.file, start, end, op, self.expr(_trees(tree)[0]))

    def _for_tuple_expr(self, tree: Any) -> Expr:
        return self.for_expr(tree, is_object=False)

    def _for_object_expr(self, tree: Any) -> Expr:
        return self.for_expr(tree, is_object=True)

    def for_expr(self, tree: Any, *, is_object: bool) -> Expr:
        intro = next(t for t in _trees(tree) if t.data == "for_intro")
        intro_trees = _trees(intro)
        names = [str(_tokens(t)[0]) for t in intro_trees if t.data == "identifier"]
        collection = self.expr(intro_trees[-1])
        bodies = [t for t in _trees(tree) if t.data not in ("for_intro", "for_cond")]
        conds = [t for t in _trees(tree) if t.data == "for_cond"]
        condition = self.expr(_trees(conds[0])[0]) if conds else None
        key = self.expr(bodies[0]) if is_object else None
        value = self.expr(bodies[-1])
        group = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in tree.children)
        key_var, value_var = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        start, end = self.span(tree)
        return ForExpr(
            self.file, start, end, key_var, value_var, collection, key, value, condition, group
        )


def _pos(offset: int | None) -> int:
    return offset or 0


def _parenthesized(tree: Any) -> bool:
    return any(isinstance(c, Token) and c.type == "LPAR" for c in tree.children)


def _decode_escapes(raw: str, start: int, at: Callable[[int], int]) -> Chunk:
    """A quoted-string fragment with its escapes decoded, each character mapped to the file
    (`at` turns the offset `start + i` of the parsed text into a file offset)."""
    out: list[str] = []
    origins: list[int] = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c != "\\" or i + 1 >= len(raw):
            out.append(c)
            origins.append(at(start + i))
            i += 1
            continue
        nxt = raw[i + 1]
        if nxt in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[nxt])
            origins.append(at(start + i))
            i += 2
            continue
        width = {"u": 4, "U": 8}.get(nxt)
        digits = raw[i + 2 : i + 2 + width] if width else ""
        if width and len(digits) == width and all(d in "0123456789abcdefABCDEF" for d in digits):
            code = int(digits, 16)
            if code <= 0x10FFFF and not 0xD800 <= code < 0xE000:
                out.append(chr(code))
                origins.append(at(start + i))
                i += 2 + width
                continue
        out.append(c)
        origins.append(at(start + i))
        i += 1
    return Chunk("".join(out), tuple(origins))


def _merge_chunks(parts: Sequence[Part]) -> tuple[Part, ...]:
    merged: list[Part] = []
    for part in parts:
        last = merged[-1] if merged else None
        if isinstance(part, Chunk) and isinstance(last, Chunk):
            merged[-1] = Chunk(last.text + part.text, last.origins + part.origins)
        elif not (isinstance(part, Chunk) and not part.text):
            merged.append(part)
    return tuple(merged)


def _dedent(chars: list[str], origins: list[int]) -> tuple[list[str], list[int]]:
    """`<<-` heredocs: drop the indentation every non-blank line shares."""
    lines: list[tuple[int, int]] = []
    start = 0
    for i, c in enumerate(chars):
        if c == "\n":
            lines.append((start, i + 1))
            start = i + 1
    if start < len(chars):
        lines.append((start, len(chars)))
    indents = []
    for a, b in lines:
        line = "".join(chars[a:b]).rstrip("\r\n")
        if line.strip():
            indents.append(len(line) - len(line.lstrip(" \t")))
    cut = min(indents, default=0)
    kept_chars: list[str] = []
    kept_origins: list[int] = []
    for a, b in lines:
        skip = 0
        while skip < cut and a + skip < b and chars[a + skip] in " \t":
            skip += 1
        kept_chars.extend(chars[a + skip : b])
        kept_origins.extend(origins[a + skip : b])
    return kept_chars, kept_origins


def parse_template(text: str, origins: Sequence[int], file: SourceFile) -> tuple[Part, ...]:
    """Split template text (heredoc body, templatefile content) into literal text,
    interpolations (parsed as HCL expressions) and directives."""
    parts: list[Part] = []
    buf: list[str] = []
    buf_origins: list[int] = []
    end_origin = origins[-1] + 1 if origins else 0

    def origin(i: int) -> int:
        return origins[i] if i < len(origins) else end_origin

    def flush() -> None:
        if buf:
            parts.append(Chunk("".join(buf), tuple(buf_origins)))
            buf.clear()
            buf_origins.clear()

    i = 0
    n = len(text)
    while i < n:
        two = text[i : i + 2]
        if text.startswith("$${", i) or text.startswith("%%{", i):
            buf.extend(text[i + 1 : i + 3])
            buf_origins.extend((origin(i + 1), origin(i + 2)))
            i += 3
            continue
        if two in ("${", "%{"):
            close = _closing_brace(text, i + 2)
            if close < 0:
                raise HclError("unterminated template sequence (missing '}')", origin(i))
            flush()
            if two == "%{":
                parts.append(Directive(origin(i)))
            else:
                parts.append(
                    Interp(_parse_expression(text, i + 2, close, origins, file), origin(i))
                )
            i = close + 1
            continue
        buf.append(text[i])
        buf_origins.append(origin(i))
        i += 1
    flush()
    return tuple(parts)


def _closing_brace(text: str, i: int) -> int:
    """Index of the `}` that ends the template sequence opened just before `i`, or -1."""
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c in "{[(":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _parse_expression(
    text: str, start: int, end: int, origins: Sequence[int], file: SourceFile
) -> Expr:
    """One `${...}` body parsed as an expression; offsets land where it was written."""
    inner = text[start:end]
    lead = len(inner) - len(inner.lstrip())
    inner = inner.strip()
    if inner.startswith("~"):
        inner = inner[1:]
        lead += 1
    inner = inner.removesuffix("~")
    base = origins[start + lead] if start + lead < len(origins) else (origins[-1] if origins else 0)
    if not inner.strip():
        raise HclError("empty template interpolation '${}'", base)
    prefix = "x = "
    try:
        tree = hcl2.parses_to_tree(prefix + inner)
    except LarkError as exc:
        error = _syntax_error(exc, prefix + inner)
        raise HclError(error.message, base + max(0, error.offset - len(prefix))) from None
    body = _only(tree, "body")
    attributes = [t for t in _trees(body) if t.data == "attribute"]
    if len(attributes) != 1:
        raise HclError("a template interpolation must hold one expression", base)
    # Each character of the expression is placed through `origins`, so escapes decoded before
    # parsing (a JSON string, a dedented heredoc) still leave it where it was written.
    return _Builder(file, start + lead - len(prefix), origins).expr(_trees(attributes[0])[-1])
