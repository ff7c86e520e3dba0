"""PromQL through ``promql-parser`` (the Rust parser behind GreptimeDB, as a PyO3 wheel): whether a
query is valid before a live run, its canonical text, and its regex matchers checked as RE2.

The canonical form is the parser's pretty-print of the AST with the layout whitespace outside strings
removed (a space between two words stays: ``x and y`` is not ``xandy``): ``x{b="2", a="1"}`` and
``x{a="1",b="2"}`` are one query, so a saved answer is found
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
#: What a value put outside quotes may be: one number (``0.5``, ``-1``, ``1e3``, ``0x1f``), one
#: duration (``5m``, ``1h30m``) or one metric or label name (``job``, ``http:requests:rate5m``).
ONE_TOKEN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0[xX][0-9a-fA-F]+"
                       r"|(?:[0-9]+(?:ms|s|m|h|d|w|y))+|[A-Za-z_:][A-Za-z0-9_:]*")


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


def check_rendered(query: str, variables: dict[str, str]) -> None:
    """Validate ``query`` with its ``${var}`` placeholders filled from ``variables`` (those it
    names and ``variables`` lacks stay as placeholders). A value inside a quoted string may not
    end that string (``api"} or vector(0) or x{a="`` turns a selector into a constant), and the
    filled query must parse; PromQLError otherwise."""
    for match in PLACEHOLDER.finditer(query):
        value = variables.get(match.group(1))
        if value is None:
            continue
        quote = _open_quote(query[:match.start()])
        if quote and not _stays_inside(value, quote):
            raise PromQLError(f"vars.{match.group(1)} ends the quoted string it is put in ({value[:40]!r} holds "
                              f"an unescaped {quote}, a trailing backslash or a newline): the query would "
                              "change shape")
        if not quote and not ONE_TOKEN.fullmatch(value):
            # `x > ${limit}` with limit "3 or vector(0)" still parses, and answers whatever the
            # service does: outside quotes a value may only stand for one thing.
            raise PromQLError(f"vars.{match.group(1)} is put outside quotes, so it must be one number, "
                              f"duration or name; {value[:40]!r} is not (it would change what the query "
                              "asks): put it inside quotes in the query, or write the expression in the "
                              "query itself")
    filled = PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), query)
    try:
        check_template(filled)
    except PromQLError as exc:
        raise PromQLError(f"not valid PromQL once vars are filled in ({filled[:120]}): {exc}") from None


def _stays_inside(value: str, quote: str) -> bool:
    """Whether ``value``, put inside a ``quote`` string, leaves it open and escaped as it found
    it: ``\\d+`` does, ``a"b`` and ``a\\`` (escaping the closing quote) do not."""
    escaped = False
    for ch in value:
        if ch == "\n":
            return False
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "`":
            escaped = True
        elif ch == quote:
            return False
    return not escaped


def canonical(query: str) -> str:
    """The key a saved answer is found by: label order and whitespace do not matter."""
    try:
        text = parse_promql(query).prettify()
    except PromQLError:
        text = query
    return strip_space(text)


def _wordy(ch: str) -> bool:
    return ch.isalnum() or ch in "_:."


def strip_space(query: str) -> str:
    """The query without layout whitespace outside quoted strings. Whitespace between two word
    characters separates tokens (``x offset 5m`` is not the metric ``xoffset5m``, ``x and y`` is not
    ``xandy``), so it stays as one space: two different queries must never share a saved answer."""
    out: list[str] = []
    quote = ""
    escaped = False
    pending = False  # whitespace seen since the last character kept
    for ch in query:
        if not quote and ch.isspace():
            pending = True
            continue
        if pending and out and _wordy(out[-1]) and _wordy(ch):
            out.append(" ")
        pending = False
        out.append(ch)
        quote, escaped = _quote_after(quote, escaped, ch)
    return "".join(out)


def _quote_after(quote: str, escaped: bool, ch: str) -> tuple[str, bool]:
    """PromQL's string state after ``ch``: the quote still open ("" outside a string) and whether
    the next character is escaped (backticks have no escapes)."""
    if not quote:
        return (ch if ch in "\"'`" else ""), False
    if escaped:
        return quote, False
    if ch == "\\" and quote != "`":
        return quote, True
    return ("" if ch == quote else quote), False


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
        quote, escaped = _quote_after(quote, escaped, ch)
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
