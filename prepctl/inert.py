"""Make untrusted text inert before it reaches a terminal, a CI log, an XML report or a Markdown page.

Gate evidence carries text prepctl does not control: command output, alert labels, issue titles,
phase titles, file names. Printed as is, such text can drive whoever reads it:

- a **terminal** obeys escape sequences (OSC sets the window title or plants a hyperlink, CSI
  moves the cursor or clears the screen);
- a **CI runner** executes workflow commands that start a log line (``::add-mask::``,
  ``::error``, GitHub's ``##[…]``, Azure's ``##vso[…]`` anywhere in a line, GitLab's
  ``section_start:``) when it prints a report or a document;
- an **XML parser** rejects a whole JUnit report over one ESC or BEL;
- a **Markdown renderer** turns ``</details><script>`` or a ``|`` into structure.

The functions here are the one place that knows these rules; formats and documents call them at
their boundary, never gates. A workflow command is broken with a ZERO WIDTH SPACE between its
first two characters: the text reads the same, but no runner matches the prefix any more.

Stdlib only, plus prepctl.secrets for redaction: every format, template filter and error printer may use it.
"""

from __future__ import annotations

import re

from prepctl.secrets import redact

#: Invisible, not whitespace (so a runner's TrimStart keeps it), and not stripped below.
ZWSP = "\u200b"

#: ECMA-48 sequences a terminal acts on, 7-bit (ESC …) and 8-bit (C1) forms:
#: CSI … final byte; OSC/DCS/SOS/PM/APC strings up to BEL or ST (never across a line);
#: then any other escape (ESC ( B, ESC 7, ESC c, or the introducer of an unterminated string).
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"
)
#: What str.splitlines and some renderers treat as a line break besides \n: one \n each, so a
#: workflow command after a U+2028 or a bare CR is seen at its line start below.
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: C0 and C1 controls except \t and \n, DEL, and bidi embeddings/overrides/isolates (they make a
#: terminal or a page show text in an order other than the bytes', as in "Trojan Source").
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Not characters at all: UTF-8 cannot encode a lone surrogate (the write would crash) and XML
#: forbids U+FFFE/U+FFFF. Each becomes U+FFFD so a reader sees that something was there.
_NONCHARACTERS = re.compile("[\ud800-\udfff\ufffe\uffff]")

#: ``::name`` (GitHub, after any leading whitespace) and GitLab's section markers at a line start.
_LINE_COMMAND = re.compile(r"^([^\S\n]*)(::|section_start:|section_end:)", re.MULTILINE)
#: ``##[name]`` (GitHub v1) and ``##vso[`` (Azure Pipelines) are honoured anywhere in a line:
#: this matches the first ``#`` of one.
ANYWHERE_COMMAND = re.compile(r"#(?=#(?:vso)?\[)", re.IGNORECASE)
#: ``<`` that could open a tag or comment: broken inside code spans and blocks, where an HTML
#: escape would show literally but a careless renderer or a log scraper might still see a tag.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")


def strip_escapes(text: str) -> str:
    """Remove terminal escape sequences (CSI, OSC, DCS, SOS, PM, APC and two-byte escapes)."""
    return _ESCAPE_SEQUENCE.sub("", text)


def plain_text(text: str) -> str:
    """Text with no escape sequence, control character or noncharacter; \\n and \\t kept.

    Line breaks of every kind become \\n (a bare CR included: a terminal would overwrite the line
    with what follows it, hiding text, so both parts are shown on their own lines).
    """
    text = _LINE_BREAKS.sub("\n", strip_escapes(text))
    return _NONCHARACTERS.sub("\ufffd", _CONTROLS.sub("", text))


def neutralise_commands(text: str) -> str:
    """Break every CI workflow-command prefix so no runner acts on it; idempotent."""
    text = ANYWHERE_COMMAND.sub("#" + ZWSP, text)
    return _LINE_COMMAND.sub(lambda m: f"{m[1]}{m[2][0]}{ZWSP}{m[2][1:]}", text)


def inert(text: str) -> str:
    """Untrusted text for any text output: a terminal (whose log may be a CI log), an XML 1.0
    document (only legal characters remain), a Markdown or plain-text document."""
    return neutralise_commands(plain_text(text))


def break_tags(text: str) -> str:
    """Inside Markdown code, where entities show literally: no ``<tag`` survives as written."""
    return _TAG_OPEN.sub("<" + ZWSP, text)


def html_escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities: raw HTML in Markdown prose renders as text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: Markdown punctuation that starts structure inline: escapes, code spans, table cells, links.
_MD_SPECIAL = re.compile(r"([\\`|\[\]])")


def markdown_inline(text: str) -> str:
    """Untrusted text inside a Markdown paragraph or table cell: one line, literal, inert.

    Raw HTML becomes entities, and backslash, backtick, ``|``, ``[`` and ``]`` are
    backslash-escaped, so a title cannot close a code span, split a table cell or make a link
    or a tracking image.
    """
    one_line = re.sub(r"[^\S\n]*\n\s*", " ", inert(text)).strip()
    return html_escape(_MD_SPECIAL.sub(r"\\\1", one_line))


def markdown_code_span(text: str, in_table: bool = False) -> str:
    """Untrusted text as an inline code span: one line, its fence longer than any backtick run.

    In a table cell a ``|`` would still end the cell (GFM splits rows before code spans), so
    ``in_table`` escapes it; the table parser removes that backslash again.
    """
    one_line = break_tags(re.sub(r"\s*\n\s*", " ", inert(text)).strip())
    if in_table:
        one_line = one_line.replace("|", "\\|")
    if not one_line:
        return "``"
    longest = max((len(run) for run in re.findall(r"`+", one_line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"


def markdown_code_block(text: str) -> str:
    """Untrusted multi-line text as a fenced code block that nothing inside can close."""
    body = break_tags(inert(text)).rstrip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{body}\n{fence}"


def clean(text: object) -> str:
    """Untrusted text made inert (see prepctl.inert) with every known secret redacted.

    Redacted before (a secret holding ``<`` or ``::`` still matches) and after (a secret split by
    an escape sequence is whole again once the sequence is stripped).
    """
    return redact(inert(redact(str(text))))


def clean_value(value: object) -> object:
    """A Jinja ``finalize``: every ``{{ … }}`` output of a template is clean, whatever filter a
    template forgets. A str subclass keeps its type, so markupsafe's Markup stays Markup (safe
    HTML is not escaped twice; removing controls and breaking commands cannot make a tag)."""
    if isinstance(value, str):
        return type(value)(clean(value))
    return value
