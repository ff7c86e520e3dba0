"""Where prepctl keeps its own state: one ``.prepctl`` folder next to phases.yaml (or under
``--root`` when there is no plan). It holds the gate history, the import-scan cache and the
shadow gate's reports; none of it is meant to be committed.

The cache (and only the cache: history and reports are records, not caches) can be moved or
switched off, in this order of precedence:

1. ``--no-cache``: no cache at all; :func:`cache_dir` returns ``None`` and every caller works
   without one (slower, never different).
2. ``--cache-dir DIR``, then the ``PREPCTL_CACHE_DIR`` environment variable: every cache goes in
   DIR, whatever the plan or root. Entries are keyed by content (blob ids) or by the resolved
   root, so one folder can serve many checkouts.
3. ``BASE/.prepctl/cache``, unless BASE cannot be written (a read-only checkout, a CI mount):
   then the user's cache folder, ``platformdirs.user_cache_dir("prepctl")/<hash of BASE>``
   (``$XDG_CACHE_HOME/prepctl/...`` on Linux), so scanning never writes into a tree it may not.

The CLI sets 1 and 2 once per invocation with :func:`configure`; it is process-wide on purpose,
because the cache is used deep below the commands (the import scanner, schema validation) and
threading an option through every layer to reach them would touch every gate. Library callers
that never configure get the environment variable and the default.

A leaf module: it imports nothing from prepctl, so every layer may use it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

STATE_DIR = ".prepctl"
#: Environment variable naming the cache folder (as ``--cache-dir``).
CACHE_DIR_ENV = "PREPCTL_CACHE_DIR"


@dataclass(frozen=True)
class CacheSettings:
    """What the command line said about the cache."""

    #: ``--cache-dir``: every cache in this folder (resolved when configured).
    directory: Path | None = None
    #: ``False`` with ``--no-cache``.
    enabled: bool = True


_settings = CacheSettings()


def configure(*, cache_dir: str | Path | None = None, enabled: bool = True) -> CacheSettings:
    """Set the process-wide cache settings; returns the previous ones (to restore them)."""
    global _settings
    previous = _settings
    directory = Path(cache_dir).expanduser().resolve() if cache_dir is not None else None
    _settings = CacheSettings(directory=directory, enabled=enabled)
    return previous


def reset(previous: CacheSettings | None = None) -> None:
    """Back to ``previous`` (default: no ``--cache-dir``, cache on)."""
    global _settings
    _settings = previous or CacheSettings()


def current() -> CacheSettings:
    return _settings


def state_dir(base: str | Path) -> Path:
    """``BASE/.prepctl``: BASE is the folder of phases.yaml, or the scanned root without one."""
    return Path(base) / STATE_DIR


def cache_dir(base: str | Path) -> Path | None:
    """The cache folder for state kept beside BASE, or ``None`` when caching is off.

    Precedence: ``--no-cache``, ``--cache-dir``, ``$PREPCTL_CACHE_DIR``, ``BASE/.prepctl/cache``
    when BASE may be written, else the user's cache folder (see the module docstring)."""
    if not _settings.enabled:
        return None
    if _settings.directory is not None:
        return _settings.directory
    from_env = os.environ.get(CACHE_DIR_ENV, "")
    if from_env:  # an empty value is "not set", as NO_COLOR's convention has it
        return Path(from_env).expanduser().resolve()
    local = state_dir(base) / "cache"
    return local if writable(local) else user_cache_dir(base)


def writable(path: Path) -> bool:
    """Could ``path`` (a folder, existing or not) be created and written by this process?

    Decided on the nearest existing ancestor: it must be a folder this user may write into. A file
    in the way (``base/.prepctl`` is a file) answers no, as mkdir would fail."""
    current_path = Path(path)
    while not current_path.exists():
        parent = current_path.parent
        if parent == current_path:
            return False
        current_path = parent
    return current_path.is_dir() and os.access(current_path, os.W_OK | os.X_OK)


def user_cache_dir(base: str | Path) -> Path:
    """``user_cache_dir("prepctl")/<hash of the resolved BASE>``: one folder per checkout, named by
    a hash because a path cannot be a folder name portably."""
    # Imported here: hashlib loads OpenSSL (tens of ms), and `prepctl --help` needs neither.
    import hashlib

    import platformdirs

    digest = hashlib.sha256(str(Path(base).resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("prepctl")) / digest


def shadow_dir(base: str | Path, phase_id: str, criterion_id: str) -> Path:
    """``BASE/.prepctl/shadow/PHASE/CRITERION``: a shadow gate's reports when it names no ``out``."""
    return state_dir(base) / "shadow" / phase_id / criterion_id
