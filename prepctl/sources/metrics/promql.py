"""PromQL through ``promql-parser`` (the Rust parser behind GreptimeDB, as a PyO3 wheel): whether a
query is valid before a live run, its canonical text, and its regex matchers checked as RE2.

The canonical form is the parser's pretty-print of the AST with the whitespace outside strings
removed: ``x{b="2", a="1"}`` and ``x{a="1",b="2"}`` are one query, so a saved answer is found
whichever way round the plan writes its labels. A query the parser cannot read keeps its own text
(whitespace outside strings removed): a saved answer came from a Prometheus that did read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import promql_parser

from prepctl.sources.metrics.labels import RegexError, compile_re2

#: ``${name}`` in an objective's query: filled from the criterion's vars (prepctl.slo.objectives).
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class PromQLError(ValueError):
    """A query Prometheus would reject; the message is the parser's (or RE2's) reason."""


@dataclass(frozen=True)
class Selector:
    """One vector selector of a parsed query: its metric name and matchers (op as in PromQL)."""

    name: str | None
    matchers: tuple[tuple[str, str, str], ...]  # (label, =|!=|=~|!~, value)
    has_or: bool
    modified: bool  # offset or @: a snapshot answers only "now"


_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def parse_promql(query: str) -> promql_parser.Expr:
    """The AST of ``query``; PromQLError with the parser's message, or an RE2 complaint."""
    try:
        expr = promql_parser.parse(_raw_strings_quoted(query))
    except ValueError as exc:
        raise PromQLError(str(exc).strip() or "not PromQL") from None
    for selector in selectors(expr):
        for label, op, value in selector.matchers:
            if op in ("=~", "!~"):
                try:
                    compile_re2(value)
                except RegexError as exc:
                    raise PromQLError(f"{label}{op}{value!r}: {exc}") from None
    return expr


def selectors(expr: promql_parser.Expr) -> list[Selector]:
    found: list[Selector] = []

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            found.append(selector_of(node))

    promql_parser.walk(expr, visit)
    return found


def selector_of(node: promql_parser.VectorSelector) -> Selector:
    matchers = tuple((m.name, _OPS[str(m.op).rsplit('.', 1)[-1]], m.value) for m in node.matchers.matchers)
    return Selector(node.name or None, matchers, bool(node.matchers.or_matchers),
                    node.offset is not None or node.at is not None)


def check_template(query: str) -> None:
    """Validate a plan's query, ``${var}`` placeholders stood in for by a dummy of the right kind
    (a duration inside ``[...]``, text inside quotes, else a number or a name); PromQLError."""
    if not PLACEHOLDER.search(query):
        parse_promql(query)
        return
    first: PromQLError | None = None
    for bare in ("1", "x"):
        try:
            parse_promql(_with_dummies(query, bare))
            return
        except PromQLError as exc:
            first = first or exc
    assert first is not None
    raise first


def canonical(query: str) -> str:
    """The key a saved answer is found by: label order and whitespace do not matter."""
    try:
        text = parse_promql(query).prettify()
    except PromQLError:
        text = query
    return strip_space(text)


def strip_space(query: str) -> str:
    """The query without whitespace outside quoted strings: PromQL ignores it there."""
    out: list[str] = []
    quote = ""
    escaped = False
    for ch in query:
        if quote:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\" and quote != "`":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
            out.append(ch)
        elif not ch.isspace():
            out.append(ch)
    return "".join(out)


def _with_dummies(query: str, bare: str) -> str:
    out: list[str] = []
    pos = 0
    for match in PLACEHOLDER.finditer(query):
        before = query[:match.start()]
        out.append(query[pos:match.start()])
        if _inside_quotes(before):
            out.append("x")
        elif _inside_brackets(before) or re.search(r"\boffset\s*$", before):
            out.append("5m")
        elif re.search(r"[A-Za-z0-9_:]$", before) or re.match(r"[A-Za-z0-9_:]", query[match.end():]):
            out.append("x")  # part of a metric or label name
        else:
            out.append(bare)
        pos = match.end()
    out.append(query[pos:])
    return "".join(out)


def _inside_quotes(before: str) -> bool:
    return _open_quote(before) != ""


def _open_quote(text: str) -> str:
    quote = ""
    escaped = False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote != "`":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
    return quote


def _inside_brackets(before: str) -> bool:
    return before.rfind("[") > before.rfind("]")


def _raw_strings_quoted(query: str) -> str:
    """Backtick strings are raw in PromQL (``\\d`` is two characters); promql-parser reads
    escapes in them, so each becomes the equivalent double-quoted string first."""
    if "`" not in query:
        return query
    out: list[str] = []
    quote = ""
    escaped = False
    for ch in query:
        if quote == "`":
            if ch == "`":
                out.append('"')
                quote = ""
            else:
                out.append({"\\": "\\\\", '"': '\\"', "\n": "\\n"}.get(ch, ch))
            continue
        if quote:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch == "`":
            quote = "`"
            out.append('"')
            continue
        if ch in "\"'":
            quote = ch
        out.append(ch)
    return "".join(out)
