"""What the import scanner scans: source roots, exclusions, packages, limits."""

from __future__ import annotations

import json
from dataclasses import dataclass

from prepctl.graph.scan.cache import SCANNER_VERSION

#: Files larger than this are reported and skipped: generated blobs, not code someone maintains.
DEFAULT_MAX_FILE_BYTES = 5_000_000


@dataclass(frozen=True)
class ScanConfig:
    """What to scan.

    ``include``: source roots relative to the tree (each is what would be on ``sys.path``; module
    names are relative to it). ``exclude``: path globs relative to the tree (``tests/*``,
    ``**/migrations/*``); a pattern naming a folder excludes everything below it.
    ``packages``: only these top-level packages or modules (empty: everything under the roots).
    """

    include: tuple[str, ...] = (".",)
    exclude: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    #: Check every whole file's syntax once (per content: the verdict is cached; by ruff beside
    #: the scan, see ``parse_blobs``) so any syntax error is reported and the file skipped. Off,
    #: only files whose import statements the fast path cannot read are fully parsed: faster
    #: cold, imports still exact, but a syntax error elsewhere in a file goes unreported.
    verify_syntax: bool = True

    def key(self) -> str:
        return json.dumps([SCANNER_VERSION, list(self.include), list(self.exclude),
                           list(self.packages), self.max_file_bytes, self.verify_syntax])
