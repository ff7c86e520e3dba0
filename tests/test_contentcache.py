"""prepctl.contentcache: values keyed by content; anything damaged or unwritable is a miss."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from prepctl.contentcache import DB_NAME, ContentCache, distribution_versions, make_key


def _decode(value: object) -> dict:
    if not isinstance(value, dict) or not isinstance(value.get("problems"), list):
        raise TypeError("not a result")
    return value


def _blobs(**current: str | None):
    return lambda rel: current.get(rel)


def test_put_then_get_with_dependencies_checked(tmp_path: Path):
    cache = ContentCache(tmp_path / "cache")
    assert cache.get("k", _blobs(), _decode) is None and cache.stats.misses == 1
    assert not (tmp_path / "cache").exists()  # a lookup alone creates nothing
    cache.put("k", {"problems": ["bad"]}, {"common.json": "b1", "gone.json": None})
    assert (tmp_path / "cache" / ".gitignore").read_text() == "*\n"
    assert cache.get("k", _blobs(**{"common.json": "b1"}), _decode) == {"problems": ["bad"]}
    assert cache.get("k", _blobs(**{"common.json": "b2"}), _decode) is None  # the $ref'd file changed
    assert cache.get("k", _blobs(**{"common.json": "b1", "gone.json": "b3"}), _decode) is None  # appeared
    assert (cache.stats.hits, cache.stats.stale, cache.stats.writes) == (1, 2, 1)
    cache.close()
    again = ContentCache(tmp_path / "cache")  # another run
    assert again.get("k", _blobs(**{"common.json": "b1"}), _decode) == {"problems": ["bad"]}
    again.close()


def test_keys_are_unambiguous_and_versions_name_absent_packages():
    assert make_key("ab", "c") != make_key("a", "bc")
    assert make_key("a", "b") == make_key("a", "b")
    versions = distribution_versions("pyyaml", "prepctl-no-such-distribution")
    assert versions.startswith("pyyaml=6.") and versions.endswith(";prepctl-no-such-distribution=absent")


def test_none_means_no_cache(tmp_path: Path):
    cache = ContentCache(None)
    cache.put("k", {"problems": []}, {})
    assert cache.get("k", _blobs(), _decode) is None
    assert cache.stats.writes == 0 and cache.disabled_reason


def test_an_undecodable_value_is_a_miss(tmp_path: Path):
    cache = ContentCache(tmp_path)
    cache.put("k", {"problems": "not a list"}, {})
    cache.put("j", {"problems": []}, {})
    cache.close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("UPDATE entries SET data = '{not json' WHERE key = 'j'")
    conn.close()
    cache = ContentCache(tmp_path)
    assert cache.get("k", _blobs(), _decode) is None and cache.get("j", _blobs(), _decode) is None
    assert cache.stats.damaged == 2 and cache.stats.hits == 0
    cache.close()


@pytest.mark.parametrize("data", [
    "[" * 200_000 + "]" * 200_000,  # json.loads raises RecursionError, not ValueError
    '{"deps": {}, "value": ' + "[" * 200_000 + "]" * 200_000 + "}",
])
def test_a_forged_deeply_nested_row_is_a_miss(tmp_path: Path, data: str):
    cache = ContentCache(tmp_path)
    cache.put("k", {"problems": []}, {})
    cache.close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:
        conn.execute("UPDATE entries SET data = ? WHERE key = 'k'", (data,))
    conn.close()
    cache = ContentCache(tmp_path)
    assert cache.get("k", _blobs(), _decode) is None
    assert cache.stats.damaged == 1 and cache.stats.hits == 0
    cache.close()


@pytest.mark.parametrize("garbage", [b"not a database at all" * 50, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_corrupt_database_is_replaced(tmp_path: Path, garbage: bytes):
    (tmp_path / DB_NAME).write_bytes(garbage)
    cache = ContentCache(tmp_path)
    assert cache.get("k", _blobs(), _decode) is None
    cache.put("k", {"problems": []}, {})
    assert cache.get("k", _blobs(), _decode) == {"problems": []}
    cache.close()


def test_a_folder_it_cannot_write_only_disables_it(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = ContentCache(blocker / "cache")
    cache.put("k", {"problems": []}, {})
    assert cache.get("k", _blobs(), _decode) is None
    assert cache.stats.writes == 0 and "not used" in (cache.disabled_reason or "")


def test_threads_share_one_cache(tmp_path: Path):
    cache = ContentCache(tmp_path)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                cache.put(f"{n}-{i}", {"problems": [n, i]}, {"dep": f"b{i}"})
                assert cache.get(f"{n}-{i}", _blobs(dep=f"b{i}"), _decode) == {"problems": [n, i]}
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and cache.stats.hits == 160 and cache.stats.writes == 160
    cache.close()
