"""The `flag` gate's content cache: each file's settings scan is kept per (file, name, imported
helper modules, reader) content, and anything that changes the answer is a miss."""

from __future__ import annotations

import ast
import json
import math
import os
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest

from prepctl import workdir
from prepctl.contentcache import DB_NAME, ContentCache
from prepctl.sources.settings import filescan, find_setting
from prepctl.sources.settings.filescan import FileScan, decode_scan, decode_value, encode_scan, encode_value
from prepctl.sources.tree import WorkTree
from tests.support.cached import CallCounter, run_cached
from tests.support.paths import EXAMPLE
from tests.support.plans import write_plan

CORE = '''
def parse_boolean_string(bool_str):
    if bool_str is None:
        return False
    return bool_str.lower() in ("y", "yes", "t", "true", "on", "1")
'''
FILES = {
    "app/utils/core.py": CORE,
    "app/config.py": 'import os\nfrom app.utils.core import parse_boolean_string\n'
                     'ANALYTICS = parse_boolean_string(os.environ.get("ANALYTICS", "no"))\n',
    "app/settings.py": "from pydantic_settings import BaseSettings\n\nclass Settings(BaseSettings):\n"
                       "    debug: bool = False\n",
    ".env": "ANALYTICS=off\n",
    "deploy/values.yaml": "env:\n  ANALYTICS: 'false'\n",
}


def _root(tmp_path: Path, files: dict[str, str] = FILES) -> Path:
    root = tmp_path / "root"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _plan(tmp_path: Path, root: Path, name: str = "ANALYTICS", expect: str = "false") -> Path:
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir(exist_ok=True)
    body = f"- id: flag\n  kind: flag\n  title: off by default\n  name: {name}\n  expect: {expect}\n"
    return write_plan(plan_dir, body, root=str(root))


def _db(tmp_path: Path) -> Path:
    return tmp_path / "plan" / workdir.STATE_DIR / "cache" / DB_NAME


def _same(a, b) -> None:
    assert (a.status, a.verdict.summary) == (b.status, b.verdict.summary)
    assert [e.to_dict() for e in a.verdict.evidence] == [e.to_dict() for e in b.verdict.evidence]


def test_second_run_extracts_nothing_and_says_the_same(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    config = _plan(tmp_path, _root(tmp_path))
    first, stats = run_cached(config)
    assert first.status == "pass", first.verdict.summary
    # config.py, settings.py (a settings class), .env and values.yaml are parsed, each kept.
    assert (counter.calls, stats.misses, stats.writes) == (4, 4, 4)
    assert {(e.path, e.line) for e in first.verdict.evidence} == {
        ("app/config.py", 3), (".env", 1), ("deploy/values.yaml", 2)}
    second, stats = run_cached(config)
    assert (counter.calls, stats.hits, stats.misses) == (4, 4, 0)
    _same(first, second)


def test_a_changed_file_is_extracted_again(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    root = _root(tmp_path)
    config = _plan(tmp_path, root)
    run_cached(config)
    (root / ".env").write_text("ANALYTICS=on\n")
    result, stats = run_cached(config)
    assert (stats.hits, stats.misses, counter.calls) == (3, 1, 5)
    assert result.status == "error" and "definitions disagree" in result.verdict.summary


def test_a_changed_or_new_helper_module_invalidates_the_file_that_imports_it(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    root = _root(tmp_path)
    config = _plan(tmp_path, root)
    run_cached(config)
    (root / "app/utils/core.py").write_text(CORE.replace('in ("y"', 'not in ("y"'))
    result, stats = run_cached(config)
    assert (stats.hits, stats.stale, counter.calls) == (3, 1, 5)
    assert result.status == "error" and "app/config.py:3" in result.verdict.summary  # True there now

    # The loader tried app/utils/core.py before app/utils/core/__init__.py... and the folders above
    # app/ first: a module created where the import looked first (`app/app/utils/core.py`) wins.
    (root / "app/app/utils").mkdir(parents=True)
    (root / "app/app/utils/core.py").write_text(CORE)
    result, stats = run_cached(config)
    assert (stats.hits, stats.stale, counter.calls) == (3, 1, 6)
    assert result.status == "pass", result.verdict.summary


def test_a_damaged_entry_gives_the_verdict_of_no_cache(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    root = _root(tmp_path)
    config = _plan(tmp_path, root)
    first, _ = run_cached(config)
    with sqlite3.connect(_db(tmp_path)) as conn:
        rows = conn.execute("SELECT key, data FROM entries").fetchall()
        for n, (key, data) in enumerate(rows):
            stored = json.loads(data)
            if n == 0:
                stored["value"]["found"] = "none"  # not a list of definitions
            elif n == 1:
                stored["value"]["found"] = [row[:-1] for row in stored["value"]["found"]] or [[1]]
            elif n == 2:
                stored["value"] = {"found": [], "seen": []}  # a row that lost a field
            else:
                stored = {"deps": {}}
            conn.execute("UPDATE entries SET data = ? WHERE key = ?", (json.dumps(stored), key))
    conn.close()
    result, stats = run_cached(config)
    assert (stats.damaged, stats.hits, counter.calls, stats.writes) == (4, 0, 8, 4)
    _same(result, first)
    assert run_cached(config)[1].hits == 4  # the recomputed results replaced the damaged ones


def test_a_truncated_database_is_replaced(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    config = _plan(tmp_path, _root(tmp_path))
    first, _ = run_cached(config)
    db = _db(tmp_path)
    db.write_bytes(db.read_bytes()[:300])
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    result, stats = run_cached(config)
    assert counter.calls == 8 and stats.hits == 0
    _same(result, first)


def test_a_forged_dependency_cannot_block_or_read_outside_the_root(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    root = _root(tmp_path)
    os.mkfifo(root / "app" / "pipe")
    config = _plan(tmp_path, root)
    run_cached(config)
    with sqlite3.connect(_db(tmp_path)) as conn:
        for key, data in conn.execute("SELECT key, data FROM entries").fetchall():
            stored = json.loads(data)
            stored["deps"] = {"app/pipe": "0" * 40, "../../../../etc/hostname": "0" * 40}
            conn.execute("UPDATE entries SET data = ? WHERE key = ?", (json.dumps(stored), key))
    conn.close()
    result, stats = run_cached(config)
    assert (stats.stale, counter.calls) == (4, 8) and result.status == "pass"


def test_no_cache_extracts_every_time_and_writes_nothing(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    monkeypatch.setattr(workdir, "cache_dir", lambda base: None)  # --no-cache
    config = _plan(tmp_path, _root(tmp_path))
    assert run_cached(config)[0].status == "pass" and run_cached(config)[0].status == "pass"
    assert counter.calls == 8
    assert not (tmp_path / "plan" / workdir.STATE_DIR / "cache").exists()


def test_the_cache_dir_variable_moves_the_cache(tmp_path: Path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv(workdir.CACHE_DIR_ENV, str(elsewhere))
    config = _plan(tmp_path, _root(tmp_path))
    run_cached(config)
    assert (elsewhere / DB_NAME).is_file() and not _db(tmp_path).exists()
    assert run_cached(config)[1].hits == 4


def test_a_file_rewritten_while_it_is_scanned_is_kept_for_the_bytes_parsed(tmp_path: Path, monkeypatch):
    """The key is the blob id of the bytes the scan parsed: a rewrite mid-run is a miss next time."""
    root = _root(tmp_path)
    config = _plan(tmp_path, root)
    real = filescan.scan_file

    def rewriting(file_type, text, rel, *args):
        if rel == ".env":
            (root / ".env").write_text("ANALYTICS=on\n")
        return real(file_type, text, rel, *args)

    monkeypatch.setattr(filescan, "scan_file", rewriting)
    assert run_cached(config)[0].status == "pass"  # what was read said off
    monkeypatch.undo()
    result, stats = run_cached(config)
    assert (stats.hits, stats.misses) == (3, 1) and result.status == "error"


def test_a_helper_rewritten_between_two_files_scans_is_parsed_again(tmp_path: Path, monkeypatch):
    """Both files import the helper; it changes after the first file's scan. The second file's
    entry must hold the helper's new blob id with a result folded from the new text."""
    files = dict(FILES)
    files["app/zconfig.py"] = files["app/config.py"].replace("ANALYTICS =", "OTHER =")
    root = _root(tmp_path, files)
    config = _plan(tmp_path, root)
    real = filescan.scan_file

    def rewriting(file_type, text, rel, *args):
        result = real(file_type, text, rel, *args)
        if rel == "app/config.py":
            (root / "app/utils/core.py").write_text(CORE.replace('in ("y"', 'not in ("y"'))
        return result

    monkeypatch.setattr(filescan, "scan_file", rewriting)
    first, _ = run_cached(config)
    values = {(e.path, e.value) for e in first.verdict.evidence}
    assert ("app/config.py", False) in values and ("app/zconfig.py", True) in values
    monkeypatch.undo()
    result, stats = run_cached(config)
    assert (stats.stale, stats.hits) == (1, 4)  # config.py's entry, made with the old helper
    uncached = find_setting(WorkTree(root), "ANALYTICS")
    assert {(d.path, d.value) for d in uncached.definitions} == {
        (e.path, e.value) for e in result.verdict.evidence}


CORPUS = {
    "conf/settings.py": textwrap.dedent('''
        import os
        from pydantic import Field
        from pydantic_settings import BaseSettings, SettingsConfigDict

        HOSTS = ("a", "b")
        RATIO = 0.1 + 0.2
        BIG = 10 ** 30
        MASK = b"\\x00\\xff"
        TAGS = {"x", "y"}
        LIMITS = {"a": [1, 2.5, None], 3: (True,)}
        WAVE = 1j
        TIMEOUT = float(os.getenv("TIMEOUT", "1e309"))
        DEBUG = os.environ.get("DEBUG", "false").lower() == "true"
        SECRET_KEY = os.environ["SECRET_KEY"]
        URL = os.getenv("URL", f"http://{HOSTS[0]}")
        debug_mode = False

        class Settings(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="APP_")
            level: int = Field(3, alias="LOG_LEVEL")
            flags: frozenset[str] = frozenset({"a"})
        '''),
    "conf/broken.py": "DEBUG = (\n",
    "conf/app.cfg": "[app]\ndebug = yes\nratio = 0.5\n",
    "conf/settings.toml": "[tool.app]\nDEBUG = false\nhosts = [\"a\"]\n",
    "conf/.env": "DEBUG=0\nURL=http://u:p@h\n",
    "conf/values.yml": "env:\n  - name: DEBUG\n    value: 'false'\n",
}
NAMES = ["HOSTS", "RATIO", "BIG", "MASK", "TAGS", "LIMITS", "WAVE", "TIMEOUT", "DEBUG", "SECRET_KEY", "URL",
         "DEBUG_MODE", "APP_FLAGS", "LOG_LEVEL", "ratio", "NOWHERE_AT_ALL", "APP_LEVEL", "MODE"]


@pytest.mark.parametrize("root", ["corpus", "example"])
def test_every_search_is_the_same_with_no_cache_a_cold_one_and_a_warm_one(tmp_path: Path, root: str):
    tree = WorkTree(_root(tmp_path, CORPUS) if root == "corpus" else EXAMPLE)
    names = NAMES if root == "corpus" else ["ANALYTICS_ENDPOINTS_ENABLED", "DEBUG", "DATABASE_URL", "nope"]
    cache = ContentCache(tmp_path / "cache")
    for name in names:
        plain = find_setting(tree, name)
        cold = find_setting(tree, name, cache=cache)
        warm = find_setting(tree, name, cache=cache)
        assert plain == cold == warm, name
        for d_plain, d_warm in zip(plain.definitions, warm.definitions, strict=True):
            assert type(d_plain.value) is type(d_warm.value), name
    assert cache.stats.hits > 0 and cache.stats.hits == cache.stats.writes  # every scan came back


@pytest.mark.parametrize("value", [None, True, False, 0, 1, -7, 10 ** 40, "", "x", 0.1, -0.0, math.inf, 2j,
                                   b"\x00", [1, "1", True], (1,), (), {1, 2}, frozenset({"a"}),
                                   {"a": (1, [2.5])}, {1: None, (1, 2): "t"}])
def test_values_come_back_equal_and_of_the_same_type(value):
    back = decode_value(json.loads(json.dumps(encode_value(value))))
    assert back == value and type(back) is type(value) and repr(back) == repr(value)


def test_nan_comes_back_as_nan_and_odd_values_are_not_kept():
    assert math.isnan(decode_value(json.loads(json.dumps(encode_value(math.nan)))))
    for odd in (Ellipsis, object(), [1, Ellipsis]):
        with pytest.raises(ValueError):
            encode_value(odd)


@pytest.mark.parametrize("data", [
    [1], {"int": 1}, {"int": "x"}, {"float": 1.5}, {"list": "ab"}, {"set": [{"list": []}]}, {"what": []},
    {"list": [], "tuple": []}, {"dict": [[1]]}, {"bytes": "zz"},
])
def test_a_malformed_value_raises_and_never_decodes(data):
    with pytest.raises((ValueError, TypeError)):
        decode_value(data)


@pytest.mark.parametrize("data", [
    None, [], {"found": [], "seen": []},
    {"found": [["X", "a.py", "3", "how", "literal", True, "True"]], "seen": [], "problem": None},
    {"found": [["X", "a.py", True, "how", "literal", True, "True"]], "seen": [], "problem": None},
    {"found": [["X", "a.py", 3, "how", "guessed", True, "True"]], "seen": [], "problem": None},
    {"found": [], "seen": [["X"]], "problem": None},
    {"found": [], "seen": [["X", 1, "note", "yes"]], "problem": None},
    {"found": [], "seen": [], "problem": ["a.py"]},
])
def test_a_malformed_scan_raises_and_never_decodes(data):
    with pytest.raises((ValueError, TypeError)):
        decode_scan(data)


def test_a_scan_round_trips():
    tree = WorkTree(EXAMPLE)
    scan = filescan.FileScanner(tree, "ANALYTICS_ENDPOINTS_ENABLED", None).scan(
        "prep/settings.py", data := tree.read_bytes("prep/settings.py"), data.decode())
    assert scan.found and decode_scan(json.loads(json.dumps(encode_scan(scan)))) == FileScan(
        scan.found, [tuple(s) for s in scan.seen], scan.problem)


def test_a_files_scan_does_not_depend_on_the_files_scanned_before_it(tmp_path: Path):
    """The limit on modules followed is per file's scan: were it per search, b.py's helper would go
    unread once a.py had used the budget up, and a cached scan of b.py would depend on a.py."""
    files = {f"app/m{i}.py": "def same(value):\n    return value\n" for i in range(41)}
    call = 'os.environ.get("FLAG", "no")'
    for i in range(40):
        call = f"s{i}({call})"
    files["app/a.py"] = "import os\n" + "".join(f"from app.m{i} import same as s{i}\n" for i in range(40)) \
        + f"FLAG = {call}\n"
    files["app/b.py"] = 'import os\nfrom app.m40 import same\nFLAG = same(os.environ.get("FLAG", "no"))\n'
    tree = WorkTree(_root(tmp_path, files))
    alone = find_setting(tree, "FLAG", files=["app/b.py"]).definitions
    after_a = [d for d in find_setting(tree, "FLAG").definitions if d.path == "app/b.py"]
    assert alone == after_a and [(d.kind, d.value) for d in alone] == [("literal", "no")]


@pytest.mark.parametrize("name, files", [
    ("STRIPE_API_KEY", {".env": "STRIPE_API_KEY=sk_live_never_on_disk\n", "app/x.py": "STRIPE_API_KEY = None\n"}),
    ("DATABASE_URL", {"app/config.py": 'import os\nDATABASE_URL = os.getenv("DATABASE_URL", '
                      '"postgres://app:sk_live_never_on_disk@db/app")\n'}),
])
def test_what_the_gate_would_redact_is_never_cached(tmp_path: Path, monkeypatch, name: str, files: dict):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    config = _plan(tmp_path, _root(tmp_path, files), name=name, expect='"x"')
    first, stats = run_cached(config)
    assert stats.writes == 0 and counter.calls == len(files)
    second, _ = run_cached(config)
    _same(first, second)
    assert counter.calls == 2 * len(files)
    for path in (tmp_path / "plan").rglob("*"):
        assert path.is_dir() or b"sk_live_never_on_disk" not in path.read_bytes(), path


def test_the_same_bytes_at_a_revision_hit_and_a_helper_changed_since_does_not(tmp_path: Path, monkeypatch):
    counter = CallCounter(monkeypatch, filescan, "scan_file")
    root = _root(tmp_path)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "settings"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root,
                       check=True, capture_output=True)
    config = _plan(tmp_path, root)
    now, _ = run_cached(config)
    then, stats = run_cached(config, at="HEAD")
    assert (stats.hits, counter.calls) == (4, 4)
    assert then.status == now.status == "pass"
    assert {e.revision for e in now.verdict.evidence} == {None} and None not in {
        e.revision for e in then.verdict.evidence}
    # The work tree's helper changes; HEAD's does not: the revision still hits, the work tree misses.
    (root / "app/utils/core.py").write_text(CORE.replace('in ("y"', 'not in ("y"'))
    assert run_cached(config, at="HEAD")[1].hits == 4
    now, stats = run_cached(config)
    assert stats.stale == 1 and now.status == "error"


def test_an_absurdly_nested_stored_value_is_a_miss_not_a_crash():
    value: object = None
    for _ in range(5000):
        value = {"list": [value]}
    with pytest.raises(ValueError):
        decode_scan({"found": [["X", "a.py", 1, "how", "literal", value, "text"]], "seen": [], "problem": None})


def test_source_segments_are_what_ast_gives_on_every_node():
    """The folder's source text split once (astutil.source_lines) must give what
    ast.get_source_segment gives: CRLF, lone CR, form feed, U+2028 in a string, multi-byte text."""
    from prepctl.sources.settings.astutil import source_lines, source_segment

    source = ("import os\r\nA = (1,\r 2)\nB = 'é' + \"\\f\"\x0c\nC = {\n 'x\u2028': os.getenv('C', 'ü')}\n"
              "D = ('ä',\n  'ß'); E = f'{A!r:>{3}}'\nclass S:\n    x: int = (\n        3)\n")
    lines = source_lines(source)
    nodes = list(ast.walk(ast.parse(source)))
    assert len(nodes) > 40
    for node in nodes:
        assert source_segment(lines, node) == ast.get_source_segment(source, node), ast.dump(node)
