"""The work-tree snapshot file (marshal + checksum) and the warm path that trusts it.

A damaged, truncated or foreign snapshot must be a miss (a full warm scan from the parse cache),
never a result; the one-comparison fast path must be taken only when every listed file has the
stat key it had, and none was racily recent when the snapshot was written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from prepctl.graph.scan import scanner
from prepctl.graph.scan.cache import SNAPSHOT_MAGIC, ParseCache, decode_snapshot, encode_snapshot
from prepctl.graph.scan.config import ScanConfig
from prepctl.graph.scan.scanner import scan_tree
from prepctl.sources.tree import WorkTree
from tests.support.trees import write

FILES = {"app/__init__.py": "", "app/core.py": "import os\n", "app/a.py": "from app import core\n",
         "app/b.py": "from app import a\n"}


def _tree(tmp_path: Path, *, age_seconds: int = 100) -> Path:
    root = tmp_path / "repo"
    write(root, FILES)
    old = time.time() - age_seconds
    for path in root.rglob("*.py"):
        os.utime(path, (old, old))
    return root


def _snapshot_file(cache_dir: Path) -> Path:
    found = list(cache_dir.glob("imports-v*-snapshots/*.marshal"))
    assert len(found) == 1, found
    return found[0]


def _scan(root: Path, cache_dir: Path):
    cache = ParseCache(cache_dir)
    try:
        return scan_tree(WorkTree(root), ScanConfig(), cache)
    finally:
        cache.close()


def _same(a, b) -> bool:
    return (a.modules, a.edges, a.problems) == (b.modules, b.edges, b.problems)


def _flip_middle(raw: bytes) -> bytes:
    middle = len(raw) - 40
    return raw[:middle] + bytes([raw[middle] ^ 0x01]) + raw[middle + 1:]


@pytest.mark.parametrize("damage", [
    pytest.param(_flip_middle, id="one-bit-flipped"),
    pytest.param(lambda raw: raw.replace(b"core", b"cora"), id="a-name-changed"),
    pytest.param(lambda raw: raw[: len(raw) // 2], id="truncated"),
    pytest.param(lambda raw: raw.replace(SNAPSHOT_MAGIC, b"prepctl-snapshot\n3.99/4\n", 1), id="other-python"),
    pytest.param(lambda raw: b"{\"key\": \"x\"}", id="old-json"),
    pytest.param(lambda raw: b"", id="empty"),
])
def test_a_damaged_snapshot_is_a_miss_and_the_scan_is_right(tmp_path: Path, damage):
    root, cache_dir = _tree(tmp_path), tmp_path / "cache"
    cold = _scan(root, cache_dir)
    assert ("app.b", "app.a") in {(e.importer, e.imported) for e in cold.edges}
    path = _snapshot_file(cache_dir)
    path.write_bytes(damage(path.read_bytes()))
    again = _scan(root, cache_dir)
    assert not again.stats.snapshot_hit and _same(again, cold)
    assert _scan(root, cache_dir).stats.snapshot_hit  # the scan wrote a good one back


def test_a_snapshot_of_another_layout_with_a_valid_checksum_is_not_used(tmp_path: Path):
    root, cache_dir = _tree(tmp_path), tmp_path / "cache"
    cold = _scan(root, cache_dir)
    path = _snapshot_file(cache_dir)
    data = decode_snapshot(path.read_bytes(), _key_of(path))
    assert data is not None
    data["result"]["edges"] = [("app.b", "app.zzz")]  # a shorter tuple than an edge
    path.write_bytes(encode_snapshot(data))
    again = _scan(root, cache_dir)
    assert not again.stats.snapshot_hit and _same(again, cold)


def _key_of(path: Path) -> str:
    import marshal

    raw = path.read_bytes()
    return marshal.loads(raw[len(SNAPSHOT_MAGIC) + 20:])["key"]


def test_decode_refuses_a_snapshot_saved_under_another_key(tmp_path: Path):
    raw = encode_snapshot({"key": "a", "result": {}})
    assert decode_snapshot(raw, "a") == {"key": "a", "result": {}}
    assert decode_snapshot(raw, "b") is None


def test_encode_refuses_what_marshal_cannot_store_plainly():
    with pytest.raises(ValueError):
        encode_snapshot({"key": "a", "thing": object()})


class _CountingSelect:
    def __init__(self) -> None:
        self.calls = 0
        self.real = scanner.select_modules

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


def test_the_fast_path_needs_every_stat_key_unchanged(tmp_path: Path, monkeypatch):
    root, cache_dir = _tree(tmp_path), tmp_path / "cache"
    cold = _scan(root, cache_dir)
    counting = _CountingSelect()
    monkeypatch.setattr(scanner, "select_modules", counting)
    warm = _scan(root, cache_dir)
    assert warm.stats.snapshot_hit and counting.calls == 0 and _same(warm, cold)
    assert warm.stats.files == cold.stats.files == 4
    # Same size, mtime put back: only the ctime (and the content) tell; the fast path must not
    # be taken and the new import must be seen.
    target = root / "app" / "core.py"
    before = target.stat()
    target.write_text("import re\n")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_size == before.st_size and target.stat().st_mtime_ns == before.st_mtime_ns
    changed = _scan(root, cache_dir)
    assert counting.calls == 1 and not changed.stats.snapshot_hit
    assert [(e.importer, e.imported) for e in changed.external if e.importer == "app.core"] == [("app.core", "re")]


def test_a_snapshot_of_racily_recent_files_is_not_trusted_by_stat_alone(tmp_path: Path, monkeypatch):
    root, cache_dir = _tree(tmp_path, age_seconds=0), tmp_path / "cache"
    cold = _scan(root, cache_dir)
    data = decode_snapshot(_snapshot_file(cache_dir).read_bytes(), _key_of(_snapshot_file(cache_dir)))
    assert data is not None and data["clean"] is False and set(data["blobs"]) == {None}
    counting = _CountingSelect()
    monkeypatch.setattr(scanner, "select_modules", counting)
    warm = _scan(root, cache_dir)
    assert counting.calls == 1 and warm.stats.snapshot_hit and _same(warm, cold)
    # Once they have settled (as after a fresh checkout), the next scan vouches for them.
    old = time.time() - 100
    for path in root.rglob("*.py"):
        os.utime(path, (old, old))
    _scan(root, cache_dir)
    assert counting.calls == 2
    settled = _scan(root, cache_dir)
    assert counting.calls == 2 and settled.stats.snapshot_hit and _same(settled, cold)
