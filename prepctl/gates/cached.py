"""What the validating gates (`openapi`, `schema`) share to cache their results by content; the
`flag` gate takes its cache from :func:`content_cache` too (its scans: prepctl/sources/settings/filescan.py).

A result is looked up by the blob id of the file it judges; the other files the validation read
(`$ref` targets) are recorded as they are read, with the blob id taken *before* the read, so a
file that changes mid-run can only make the entry stale, never wrong for its recorded content.
See :mod:`prepctl.contentcache` for what is stored and why a damaged entry is only a miss.
"""

from __future__ import annotations

from posixpath import normpath
from typing import TYPE_CHECKING

from prepctl import workdir
from prepctl.contentcache import ContentCache

if TYPE_CHECKING:
    from prepctl.sources.context import GateContext
    from prepctl.sources.tree import Tree

#: Distributions whose versions decide a JSON Schema based verdict: the validator, its
#: meta-schemas and `$ref` resolver, the YAML parser (lines, duplicate keys) and the optional format
#: checkers (installed or not, `format: iri` is checked or refused).
JSONSCHEMA_STACK = ("prepctl", "jsonschema", "jsonschema-specifications", "referencing", "pyyaml",
                    "rfc3987-syntax", "rfc3339-validator", "rfc3986-validator", "rfc3987", "webcolors",
                    "jsonpointer", "uri-template", "isoduration", "fqdn", "idna")
#: The key under which one evaluation shares one open cache between its criteria and threads.
SHARED_KEY = "contentcache"


def content_cache(ctx: GateContext) -> ContentCache:
    """This evaluation's cache, under ``workdir.cache_dir`` of the plan's folder (None: no cache)."""
    return ctx.shared(SHARED_KEY, lambda: ContentCache(workdir.cache_dir(ctx.plan.config_dir)))


def current_blob(tree: Tree, rel: str) -> str | None:
    """The blob id of ``rel`` in ``tree`` now, or None when it is absent or cannot be read."""
    from prepctl.sources.documents import DocumentError, require_document_file

    try:
        require_document_file(tree, rel)  # first: a FIFO would block, a 2 GB file be read whole
        return tree.blob_id(rel)
    except (OSError, ValueError, DocumentError):  # missing, a folder, outside the root, too big
        return None


class Dependencies:
    """The files a validation read besides the one it judges, each with its blob id."""

    def __init__(self, tree: Tree):
        self.tree = tree
        self.blobs: dict[str, str | None] = {}

    def record(self, rel: str) -> None:
        """Call before reading ``rel``: its content now is what the result will depend on."""
        rel = normpath(rel)
        if rel not in self.blobs:
            self.blobs[rel] = current_blob(self.tree, rel)

    def current(self, rel: str) -> str | None:
        return current_blob(self.tree, rel)
