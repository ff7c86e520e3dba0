"""Fault corpus, documents: hostile OpenAPI documents for the `openapi` gate and hostile engine
configs and JSON Schemas for the `schema` gate, run as `prepctl gate p --format json`.

Each case names the defect it guards against and what the gate must say. The question asked of
every case: what input would make the gate PASS when the truth is unknown or failing? A document
that cannot be read or judged is `error` (exit 2) with the reason; one that is invalid or lacks a
required path is `fail` (exit 1); nothing hangs (FIFO, YAML bomb, huge file), nothing is fetched
over the network (the remote `$ref`s name a closed port on 127.0.0.1), and the documents' bytes
are never changed.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.fault_harness import Expect, check, run_prepctl

LIMIT = 30.0
FAIL = ("fail",)
ERROR = ("error",)
PASS = ("pass",)

HEAD = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"
OK = "{responses: {'200': {description: ok}}}"
GLOB = "paths:\n  - {path: '/analytics/*', methods: [get]}\n"


def _closed_port() -> int:
    """A port nothing listens on: a fetch, if the gate tried one, would fail, not hang or pass."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = _closed_port()


@dataclass(frozen=True)
class DocCase:
    name: str
    defect: str  # what the case guards against
    kind: str  # the gate: openapi or schema
    files: dict[str, str | bytes]  # the monolith's files
    options: str = ""  # the criterion's options (YAML)
    statuses: tuple[str, ...] = ERROR
    mentions: tuple[str, ...] = ()
    #: Makes what cannot be a literal file: a FIFO, a sparse huge file, a link out of the root.
    setup: Callable[[Path], None] | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple({"pass": 0, "fail": 1, "error": 2}[s] for s in self.statuses)


def _oa(name: str, defect: str, document: str | bytes, options: str = GLOB, statuses: tuple[str, ...] = ERROR,
        *mentions: str, rel: str = "openapi.yaml", more: dict[str, str | bytes] | None = None) -> DocCase:
    files: dict[str, str | bytes] = {rel: document, **(more or {})}
    if rel != "openapi.yaml":
        options = f"document: {rel}\n{options}"
    return DocCase(name, defect, "openapi", files, options, statuses, mentions)


def _special(name: str, defect: str, setup: Callable[[Path], None] | None, *mentions: str) -> DocCase:
    """openapi.yaml is made by ``setup`` (or is absent): what cannot be written as text."""
    return DocCase(name, defect, "openapi", {}, GLOB, ERROR, mentions, setup)


def _bomb(levels: int = 9) -> str:
    """A 'billion laughs': each anchor is nine aliases of the one before, 9**9 nodes in all."""
    lines = ["x-lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"x-lol{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def _folder(rel: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / rel).mkdir()
        (root / rel / "inner.yaml").write_text(HEAD + "paths: {}\n", encoding="utf-8")
    return make


def _fifo(rel: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        os.mkfifo(root / rel)
    return make


def _huge(rel: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        with open(root / rel, "wb") as handle:  # sparse: 40 MB of nothing, written in no time
            handle.write(HEAD.encode())
            handle.truncate(40 * 2**20)
    return make


def _link_out(rel: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        outside = root.parent / "outside.yaml"
        outside.write_text(HEAD + f"paths:\n  /analytics/x:\n    get: {OK}\n", encoding="utf-8")
        (root / rel).symlink_to(outside)
    return make


def _json(data: str) -> str:
    return '{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": ' + data + "}"


OPENAPI_CASES = [
    # -- the brief's list
    _oa("empty-paths-glob", "a glob matching nothing in `paths: {}` must not pass", HEAD + "paths: {}\n",
        GLOB, FAIL, "missing /analytics/*"),
    _oa("null-paths", "`paths:` null crashed the validator (KeyError while checking)", HEAD + "paths:\n",
        GLOB, FAIL, "`paths:` is empty, not a mapping", "openapi.yaml:3"),
    _oa("null-paths-validity-only", "`paths:` null with no required paths is still not valid",
        HEAD + "paths:\n", "", FAIL, "`paths:` is empty"),
    _oa("paths-is-a-list", "`paths:` as a list is not a mapping", HEAD + "paths: [/analytics/x]\n",
        GLOB, FAIL, "`paths:` is a list"),
    _oa("trailing-slash-key", "`/api/v1/analytics/` in the document passed `/api/v1/analytics`",
        HEAD + f"paths:\n  /api/v1/analytics/:\n    get: {OK}\n", "paths: [{path: /api/v1/analytics}]\n",
        FAIL, "near miss: /api/v1/analytics/"),
    _oa("trailing-slash-criterion", "a criterion with a trailing slash matched the path without one",
        HEAD + f"paths:\n  /api/v1/analytics:\n    get: {OK}\n", "paths: [{path: /api/v1/analytics/}]\n",
        FAIL, "near miss: /api/v1/analytics"),
    _oa("glob-matches-only-the-folder", "`/analytics/*` passed on `/analytics/` alone: `*` matched nothing",
        HEAD + f"paths:\n  /analytics/:\n    get: {OK}\n", GLOB, FAIL, "missing /analytics/*"),
    _oa("path-key-in-other-case", "paths are case-sensitive: `/Analytics/x` is not `/analytics/*`",
        HEAD + f"paths:\n  /Analytics/x:\n    get: {OK}\n", GLOB, FAIL, "near miss: /Analytics/x"),
    _oa("upper-case-methods-in-document", "`GET:` is not an operation (OpenAPI keys are lower case)",
        HEAD + f"paths:\n  /analytics/x:\n    GET: {OK}\n", GLOB, FAIL, "'GET' was unexpected"),
    _oa("upper-case-method-in-criterion", "methods in the criterion are case-insensitive (truth: pass)",
        HEAD + f"paths:\n  /analytics/x:\n    get: {OK}\n", "paths: [{path: '/analytics/*', methods: [GET]}]\n",
        PASS),
    _oa("ref-path-item-lacks-method", "a `$ref`'d path item is judged by the operations it points at",
        HEAD + "paths:\n  /analytics/x:\n    $ref: 'items.yaml#/x'\n", GLOB, FAIL, "missing GET on /analytics/x",
        more={"items.yaml": f"x:\n  post: {OK}\n"}),
    _oa("ref-path-item-broken-pointer", "a path item `$ref` to a pointer that is not there",
        HEAD + "paths:\n  /analytics/x:\n    $ref: 'items.yaml#/nope'\n", GLOB, FAIL, "unresolvable $ref",
        more={"items.yaml": f"x:\n  get: {OK}\n"}),
    _oa("ref-path-item-missing-file", "a path item `$ref` to a file that is not there",
        HEAD + "paths:\n  /analytics/x:\n    $ref: 'gone.yaml#/x'\n", GLOB, FAIL, "unresolvable $ref"),
    _oa("ref-path-item-remote", "a path item `$ref` to a URL is never fetched",
        HEAD + f"paths:\n  /analytics/x:\n    $ref: 'http://127.0.0.1:{PORT}/x.yaml#/x'\n", GLOB, ERROR,
        "points at the network"),
    _oa("ref-schema-remote", "a schema `$ref` to a URL is never fetched",
        HEAD + f"paths:\n  /analytics/x:\n    get:\n      responses:\n        '200':\n          description: ok\n"
        f"          content:\n            application/json:\n              schema:\n"
        f"                $ref: 'http://127.0.0.1:{PORT}/s.json'\n", GLOB, ERROR, "points at the network"),
    _special("document-is-a-folder", "a folder named openapi.yaml", _folder("openapi.yaml"), "is a folder"),
    _special("document-is-a-fifo", "reading a FIFO blocked forever", _fifo("openapi.yaml"), "not a regular file"),
    _special("document-is-huge", "a 40 MB document was read whole", _huge("openapi.yaml"), "up to 32 MB"),
    _special("document-links-out-of-the-root", "a link to a document outside the root",
             _link_out("openapi.yaml"), "outside the root"),
    _oa("yaml-bomb", "a billion-laughs YAML hung the gate", HEAD + "paths: {}\n" + _bomb(), "", ERROR,
        "YAML bomb"),
    _oa("recursive-alias", "an alias inside its own anchor was a RecursionError",
        HEAD + f"paths:\n  /analytics/x:\n    get: {OK}\nx-loop: &loop [*loop]\n", GLOB, ERROR,
        "recursive structure"),
    _oa("duplicate-path-key", "duplicate keys: the parser kept the last `/analytics/x` (GET) and passed",
        HEAD + f"paths:\n  /analytics/x:\n    post: {OK}\n  /analytics/x:\n    get: {OK}\n", GLOB, ERROR,
        "duplicate key", "openapi.yaml:6 (first at line 4)"),
    _oa("duplicate-key-json", "duplicate keys in JSON", _json(
        '{"/analytics/x": {"post": {"responses": {"200": {"description": "ok"}}}},'
        ' "/analytics/x": {"get": {"responses": {"200": {"description": "ok"}}}}}'),
        GLOB, ERROR, "duplicate key", rel="openapi.json"),
    _oa("json-nan", "NaN is not JSON; Python's json read it and the gate passed", _json(
        '{"/analytics/x": {"get": {"x-score": NaN, "responses": {"200": {"description": "ok"}}}}}'),
        GLOB, ERROR, "NaN is not a JSON number", rel="openapi.json"),
    _oa("json-infinity", "Infinity is not JSON", _json(
        '{"/analytics/x": {"get": {"x-score": -Infinity, "responses": {"200": {"description": "ok"}}}}}'),
        GLOB, ERROR, "Infinity is not a JSON number", rel="openapi.json"),
    _oa("json-nested-too-deep", "deep nesting was a RecursionError",
        _json('{}, "x-deep": ' + "[" * 100_000 + "]" * 100_000), GLOB, ERROR, "nested too deeply",
        rel="openapi.json"),
    _oa("swagger-2", "Swagger 2.0 said 'missing /analytics/*' though its paths exist: it is not judged",
        "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /analytics/x:\n    get: {responses: {}}\n",
        GLOB, ERROR, "is a Swagger 2.0 document", "convert it"),
    _oa("unknown-openapi-version", "OpenAPI 4.0 cannot be validated by a 3.x validator",
        "openapi: 4.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n", "", ERROR, "4.0.0"),
    _oa("openapi-version-as-a-number", "`openapi: 3.0` is a float, not a version string",
        "openapi: 3.0\ninfo: {title: t, version: '1'}\npaths: {}\n", "", FAIL, "quote it"),
    _oa("unquoted-response-codes", "YAML's `200:` is an int key and crashed the validator (truth: pass)",
        HEAD + "paths:\n  /analytics/x:\n    get:\n      responses:\n        200: {description: ok}\n", GLOB, PASS),
    _oa("component-schema-ref-cycle", "`A: {$ref: A}` sends the validator round for ever (RecursionError)",
        HEAD + "paths:\n  /analytics/x:\n    get:\n      responses:\n        '200':\n          description: ok\n"
        "          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/A'}\n"
        "components:\n  schemas:\n    A: {$ref: '#/components/schemas/B'}\n    B: {$ref: '#/components/schemas/A'}\n",
        GLOB, ERROR, "$refs nest too deeply"),
    _oa("path-item-ref-cycle-across-files", "a path item whose `$ref` comes back to itself through another file",
        HEAD + "paths:\n  /analytics/x:\n    $ref: 'a.yaml'\n", GLOB, ERROR, "$refs nest too deeply",
        more={"a.yaml": "$ref: 'openapi.yaml#/paths/~1analytics~1x'\n"}),
    DocCase("ref-to-a-fifo", "a `$ref` to a FIFO blocked the validator", "openapi",
            {"openapi.yaml": HEAD + "paths:\n  /analytics/x:\n    $ref: 'items.yaml#/x'\n"}, GLOB, FAIL,
            ("unresolvable $ref", "not a regular file"), _fifo("items.yaml")),
    _oa("yaml-impossible-date", "`2024-02-31` made the YAML constructor raise (ValueError while checking)",
        "openapi: 3.1.0\ninfo: {title: t, version: 2024-02-31}\npaths: {}\n", GLOB, ERROR, "invalid YAML"),
    _oa("yaml-integer-of-5000-digits", "an integer past Python's digit limit (ValueError while checking)",
        HEAD + "x-big: " + "9" * 5000 + "\npaths: {}\n", GLOB, ERROR, "invalid YAML", "4300 digits"),
    _oa("json-integer-of-5000-digits", "the same in JSON was called 'not a JSON number'",
        _json('{}, "x-big": ' + "9" * 5000), GLOB, ERROR, "invalid JSON", "4300 digits", rel="openapi.json"),
    _oa("yaml-date-as-version", "an unquoted `version: 2024-01-01` is text to OpenAPI (truth: pass)",
        f"openapi: 3.1.0\ninfo: {{title: t, version: 2024-01-01}}\npaths:\n  /analytics/x:\n    get: {OK}\n",
        GLOB, PASS),
    _oa("git-lfs-pointer", "a checkout without `git lfs pull` has a pointer where the document should be",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 48213\n", GLOB, ERROR,
        "Git LFS pointer", "git lfs pull"),
    _oa("empty-file", "an empty document is not an empty API", "", GLOB, ERROR, "found 0"),
    _oa("webhook-is-not-a-path", "a webhook named like the path does not satisfy a path",
        HEAD + f"webhooks:\n  /analytics/x:\n    get: {OK}\n", GLOB, FAIL, "missing /analytics/*"),
    _oa("parameters-only-path-item", "a path item without operations offers nothing",
        HEAD + "paths:\n  /analytics/x:\n    parameters: []\n", "paths: ['/analytics/*']\n", FAIL,
        "any operation on /analytics/x"),
    _oa("python-tag", "a YAML tag that would execute code is refused, never constructed",
        HEAD + "paths: !!python/object/apply:os.system ['echo pwned']\n", GLOB, ERROR, "invalid YAML"),
    _special("document-absent", "no document at all", None, "not found"),
    _oa("not-utf8", "UTF-16 text is not read as garbage", HEAD.encode("utf-16"), GLOB, ERROR, "not UTF-8"),
    _oa("invalid-undeclared-path-parameter", "an invalid document fails even when every path is there",
        HEAD + f"paths:\n  /analytics/host/{{host_id}}:\n    get: {OK}\n",
        "paths: [{path: '/analytics/host/*', methods: [get]}]\n", FAIL, "host_id"),
]


SCHEMA = json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                     "properties": {"threshold": {"type": "number", "maximum": 10}}, "required": ["threshold"]})
ENGINES = "engines: eng/*/\n"


def _sc(name: str, defect: str, files: dict[str, str | bytes], statuses: tuple[str, ...] = ERROR,
        *mentions: str, options: str = ENGINES, setup: Callable[[Path], None] | None = None) -> DocCase:
    return DocCase(name, defect, "schema", files, options, statuses, mentions, setup)


def _pair(config: str, schema: str = SCHEMA, config_name: str = "config.yaml") -> dict[str, str | bytes]:
    stem = config_name.rsplit(".", 1)[0]
    return {f"eng/a/{config_name}": config, f"eng/a/{stem}.schema.json": schema}


def _ref(ref: str) -> str:
    return json.dumps({"type": "object", "properties": {"threshold": {"$ref": ref}}})


SCHEMA_CASES = [
    _sc("valid-config", "the control: a config inside its schema passes (truth: pass)",
        _pair("threshold: 5\n"), PASS),
    _sc("config-missing-in-one-engine", "an engine without its config fails",
        {**_pair("threshold: 5\n"), "eng/b/README.md": "no config\n"}, FAIL, "eng/b has no config.yaml"),
    _sc("config-missing-everywhere", "no engine has a config: nothing was judged",
        {"eng/a/README.md": "x\n"}, ERROR, "no engine has a config"),
    _sc("schema-file-missing", "a config without its schema fails", {"eng/a/config.yaml": "threshold: 5\n"},
        FAIL, "no schema"),
    _sc("schema-itself-invalid", "a schema that is not a valid JSON Schema",
        _pair("threshold: 50\n", '{"type": "objekt"}'), ERROR, "the schema itself is invalid"),
    _sc("schema-ref-remote", "a `$ref` to a URL is never fetched",
        _pair("threshold: 50\n", _ref(f"http://127.0.0.1:{PORT}/defs.json")), ERROR, "never fetches"),
    _sc("schema-ref-file-uri", "a `file://` `$ref` outside the root is not read",
        _pair("threshold: 50\n", _ref("file:///etc/passwd")), ERROR, "cannot resolve $ref"),
    _sc("schema-ref-climbs-out", "a relative `$ref` that climbs out of the root is not read",
        _pair("threshold: 50\n", _ref("../../../../../../../../etc/hosts")), ERROR, "cannot resolve $ref"),
    _sc("schema-unknown-draft", "an unknown `$schema` was validated as 2020-12 silently",
        _pair("threshold: 5\n", json.dumps({"$schema": "https://example.com/my-draft", "type": "object"})),
        ERROR, "unknown $schema"),
    _sc("config-yaml-nan", "`.nan` passed `maximum: 10` (NaN compares false)", _pair("threshold: .nan\n"),
        ERROR, "NaN or infinite", "config.yaml:1"),
    _sc("config-yaml-inf-in-list", "an infinity deep in a list", _pair("threshold: 5\nlimits: [1, .inf]\n"),
        ERROR, "$.limits[1] is NaN or infinite"),
    _sc("config-json-nan", "NaN in a JSON config passed", _pair('{"threshold": NaN}', config_name="config.json"),
        ERROR, "NaN is not a JSON number", options=ENGINES + "config: config.json\n"),
    _sc("schema-nan-bound", "`maximum: .nan` in a YAML schema accepts every number",
        {"eng/a/config.yaml": "threshold: 50\n",
         "eng/a/config.schema.yaml": "type: object\nproperties:\n  threshold: {maximum: .nan}\n"},
        ERROR, "NaN or infinite", options=ENGINES + "schema_file: config.schema.yaml\n"),
    _sc("config-duplicate-key", "duplicate keys: the parser kept the last (in bounds) and passed",
        _pair("threshold: 50\nthreshold: 5\n"), ERROR, "duplicate key $.threshold", "config.yaml:2"),
    _sc("config-is-a-fifo", "reading a FIFO config blocked forever",
        {"eng/a/config.schema.json": SCHEMA}, ERROR, "not a regular file", setup=_fifo("eng/a/config.yaml")),
    _sc("config-yaml-bomb", "a billion-laughs config hung the gate",
        _pair("threshold: 5\n" + _bomb()), ERROR, "YAML bomb"),
    _sc("config-int-keys-vs-pattern-properties", "YAML int keys crashed patternProperties (TypeError)",
        _pair("threshold: 5\nports:\n  8080: web\n", json.dumps(
            {"type": "object", "properties": {"ports": {"patternProperties": {"^[0-9]+$": {"type": "string"}}}}})),
        ERROR, "is every mapping key text?"),
    _sc("schema-keyword-typo", "`maximun: 10` is an unknown keyword, ignored: 50 passed",
        _pair("threshold: 50\n", json.dumps({"type": "object", "properties": {"threshold": {"maximun": 10}}})),
        ERROR, "unknown keyword 'maximun'", "did you mean 'maximum'"),
    _sc("schema-keyword-wrong-case", "`oneof` is not `oneOf`: the alternatives were never checked",
        _pair("threshold: x\n", json.dumps({"properties": {"threshold": {"oneof": [{"type": "number"}]}}})),
        ERROR, "did you mean 'oneOf'"),
    _sc("schema-empty-object", "`{}` accepts every config: a placeholder passed as a schema",
        _pair("threshold: 50\n", "{}"), FAIL, "constrains nothing"),
    _sc("schema-true", "`true` accepts every config", _pair("threshold: 50\n", "true"), FAIL, "constrains nothing"),
    _sc("schema-annotations-only", "a title and a description check nothing",
        _pair("threshold: 50\n", json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema",
                                              "title": "Engine config", "description": "TODO"})),
        FAIL, "constrains nothing"),
    _sc("schema-custom-keywords-are-not-typos", "editor keywords (markdownDescription, x-...) are fine "
        "(truth: pass)", _pair("threshold: 5\n", json.dumps(
            {"type": "object", "markdownDescription": "**engine**", "x-owner": "qa",
             "properties": {"threshold": {"type": "number", "maximum": 10, "errorMessage": "too big"}}})), PASS),
    _sc("schema-ref-cycle", "a `$ref` that only refers to itself never reaches a check (RecursionError)",
        _pair("threshold: 50\n", json.dumps({"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}})),
        ERROR, "$refs nest too deeply"),
    _sc("config-two-documents", "a second YAML document in a config is not ignored",
        _pair("threshold: 5\n---\nthreshold: 50\n"), ERROR, "found 2"),
    _sc("config-empty", "an empty config is not an empty object", _pair(""), ERROR, "found 0"),
]

CASES = OPENAPI_CASES + SCHEMA_CASES


def _plan(case: DocCase) -> str:
    header = f"- id: c\n  kind: {case.kind}\n  title: hostile {case.name}\n"
    body = textwrap.indent(case.options, "  ")
    criteria = textwrap.indent(header + body, "      ")
    return ("version: 1\nname: fault corpus\nroot: mono\nphases:\n  - id: p\n    title: P\n    weeks: 0-1\n"
            f"    owners: [qa]\n    criteria:\n{criteria}\n")


def test_case_names_are_unique():
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_documents_openapi_fault(tmp_path: Path, case: DocCase):
    root = tmp_path / "mono"
    root.mkdir()
    for rel, content in case.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if case.setup is not None:
        case.setup(root)
    (tmp_path / "phases.yaml").write_text(_plan(case), encoding="utf-8")
    preserved = {path: path.read_bytes() for path in root.rglob("*")
                 if path.is_file() and not path.is_symlink() and path.stat().st_size < 2**20}
    outcome = run_prepctl("gate", "p", "--format", "json", cwd=tmp_path, limit=LIMIT)
    check(outcome, Expect(codes=case.codes, criterion="c", statuses=case.statuses, mentions=case.mentions,
                          preserved=preserved))
