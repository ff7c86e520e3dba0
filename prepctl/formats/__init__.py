"""Output formats for gate reports: one module each, chosen by name.

Built-ins and plugins register alike (:class:`prepctl.registry.Registry`): a name maps to a
``module:FormatClass`` target, and third-party formats join through the ``prepctl.formats``
entry-point group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prepctl.errors import PrepctlError
from prepctl.formats.interface import Format
from prepctl.registry import BrokenTarget, Registry, one_of

if TYPE_CHECKING:
    from prepctl.status import PhaseState

BUILTIN: dict[str, str] = {
    "table": "prepctl.formats.table:TableFormat",
    "json": "prepctl.formats.json:JsonFormat",
    "markdown": "prepctl.formats.markdown:MarkdownFormat",
    "junit": "prepctl.formats.junit:JUnitFormat",
    "github": "prepctl.formats.github:GitHubFormat",
    "sarif": "prepctl.formats.sarif:SarifFormat",
}

FORMATS: Registry[type[Format]] = Registry("format", "prepctl.formats", BUILTIN)


def get_format(name: str) -> Format:
    """An instance of the format registered as ``name``; PrepctlError when there is none."""
    try:
        format_class = FORMATS.get(name)
    except BrokenTarget as exc:
        raise PrepctlError(str(exc)) from None
    if format_class is None:
        raise PrepctlError(f"unknown format '{name}'; choose {FORMATS.choices()}")
    return format_class()


def status_formats() -> list[str]:
    """The formats that offer a ``prepctl status`` view."""
    names = []
    for name in FORMATS.names():
        try:
            if FORMATS.load(name).renders_status():
                names.append(name)
        except BrokenTarget:
            continue
    return names


def render_status(rows: list[PhaseState], fmt: str) -> str:
    # Only the named format is imported on the way that succeeds.
    if fmt in FORMATS:
        renderer = get_format(fmt)
        if renderer.renders_status():
            return renderer.render_status(rows)
    raise PrepctlError(f"status supports --format {one_of(status_formats())}, not '{fmt}'")
