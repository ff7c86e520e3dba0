"""The one ``--format`` vocabulary: ``markdown`` everywhere, with ``md`` a hidden spelling of it.

The app's context normalises every choice value through :func:`normalize_token` (click's
``token_normalize_func``, inherited by every sub-command), so each format enum lists
``markdown`` only: ``md`` is accepted but appears in no choice list, help text or error message.
Click also passes option and command names through it; no option or command is called ``md``.
A free-form format name (``gate --format``, checked against the format registry) is passed
through it by the command itself.
"""

from __future__ import annotations

from types import MappingProxyType

HIDDEN_ALIASES = MappingProxyType({"md": "markdown"})


def normalize_token(token: str) -> str:
    """``token`` in the shared vocabulary: a hidden alias becomes the name it stands for."""
    return HIDDEN_ALIASES.get(token, token)
