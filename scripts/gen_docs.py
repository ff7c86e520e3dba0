"""Write the generated reference pages: docs/gates/*.md and docs/contracts/*.md.

Usage: .venv/bin/python scripts/gen_docs.py [--check]

--check writes nothing: it lists every page that is stale, missing or no longer generated and
exits 1 if there is one (tests/reference/test_generated_pages.py runs the same comparison).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from prepctl.reference import stale_pages, write_pages

DOCS = Path(__file__).resolve().parent.parent / "docs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/gates/*.md and docs/contracts/*.md.")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when a page is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_pages(DOCS)
        for path in stale:
            print(f"stale: docs/{path}")
        if stale:
            print("regenerate with: .venv/bin/python scripts/gen_docs.py")
            return 1
        print("docs/gates and docs/contracts are up to date")
        return 0
    written = write_pages(DOCS)
    print(f"wrote {len(written)} pages under docs/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
