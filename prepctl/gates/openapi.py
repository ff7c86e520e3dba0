"""Gate kind `openapi`: required paths and methods exist in an OpenAPI 3 document, and the
document itself is valid.

```yaml
- id: analytics-contract
  kind: openapi
  title: API contract for /api/v1/analytics and /analytics/host/* finalised
  document: openapi.yaml
  paths:
    - {path: /api/v1/analytics, methods: [get]}
    - {path: "/analytics/host/*", methods: [get]}
```

In a path pattern `*` matches a run of one or more characters, `/` included, so
`/analytics/host/*` covers every route below it (but not `/analytics/host/` itself); `{name}`
matches any path parameter (`{id}` matches `{host_id}`). Matching is exact otherwise: case and a
trailing slash count, as they do in OpenAPI, and a near miss is named in the evidence. Every path
the pattern matches must offer every listed method; no `methods` means any operation will do.

The document is validated with openapi-spec-validator (3.0, 3.1 and 3.2). Each validation problem
is evidence at its file:line. `$ref`s are followed only inside the root, never over the network.
A missing or unparseable document is `error`, and so is one the gate cannot judge: Swagger 2 or
another version, duplicate keys (parsers disagree on which one wins), NaN in JSON, a YAML bomb.
An invalid document or a missing path or method is `fail`.

What the validator said is cached by content (`.prepctl/cache`, see the
[reliability page](../reliability.md#content-caches)): a second run on the same document, the
same `$ref`'d files and the same validator versions reads it back instead of validating again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from posixpath import dirname, join, normpath
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from prepctl.contentcache import ContentCache, distribution_versions, import_serially, make_key
from prepctl.errors import GateError
from prepctl.gates.base import Gate
from prepctl.gates.cached import JSONSCHEMA_STACK, Dependencies, content_cache
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.verdicts import Evidence, Status, Verdict

if TYPE_CHECKING:
    from prepctl.sources.documents import Document
    from prepctl.sources.tree import Tree

#: `query` is OpenAPI 3.2's; in an older document the validator reports it as invalid.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
#: Past this many, further validation problems are counted but not listed one by one.
MAX_LISTED_PROBLEMS = 25
_MAX_MESSAGE = 300
#: Bump when what check_document reports changes: older cached results are then ignored.
CACHE_FORMAT = 1


class RequiredPath(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(pattern=r"^/", description="An API path; `*` matches anything, `/` included.")
    methods: list[str] = Field(default_factory=list, description="HTTP methods each matched path "
                               "must offer, e.g. [get, post]. Empty: any operation.")

    @field_validator("methods")
    @classmethod
    def _known_methods(cls, methods: list[str]) -> list[str]:
        lowered = [m.lower() for m in methods]
        unknown = [m for m in lowered if m not in HTTP_METHODS]
        if unknown:
            raise ValueError(f"unknown HTTP method {', '.join(unknown)}; use {', '.join(HTTP_METHODS)}")
        return lowered


class OpenAPISpec(CriterionSpec):
    kind: Literal["openapi"]
    document: str = Field("openapi.yaml", description="The OpenAPI 3 file, relative to the root.")
    # A plain string is shorthand for `{path: ...}`; declared as such so editors accept it too.
    paths: list[RequiredPath | Annotated[str, Field(pattern=r"^/")]] = Field(
        default_factory=list, description="Paths (and methods) that must exist, as {path, methods} "
        "or a plain path. Empty: only the document's validity is checked.")

    def required_paths(self) -> list[RequiredPath]:
        return [p if isinstance(p, RequiredPath) else RequiredPath(path=p) for p in self.paths]


class DocumentVanished(GateError):
    """The document was there for its blob id and gone when read: says nothing about its bytes,
    so it is never cached."""


@dataclass(frozen=True)
class SpecProblem:
    """One thing the validator objects to, placed in the document."""

    message: str
    json_path: str
    line: int | None


@dataclass
class CheckedDocument:
    """What the validator said about a document and what it offers: all a criterion judges,
    shared by every criterion on it and cached by content (no parse on a hit)."""

    path: str
    version: str | None
    problems: list[SpecProblem] = field(default_factory=list)
    #: The HTTP methods each API path offers.
    offered: dict[str, set[str]] = field(default_factory=dict)
    #: Every key under `paths:`, in document order, with its line.
    path_lines: dict[str, int | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version,
                "problems": [[p.message, p.json_path, p.line] for p in self.problems],
                "offered": {path: sorted(methods) for path, methods in self.offered.items()},
                "lines": [[path, line] for path, line in self.path_lines.items()]}

    @classmethod
    def from_json(cls, path: str, data: dict[str, Any]) -> CheckedDocument:
        version = data["version"]
        problems = [SpecProblem(str(m), str(j), _int_or_none(line)) for m, j, line in data["problems"]]
        offered = {str(p): {str(m) for m in methods} for p, methods in data["offered"].items()}
        lines = {str(p): _int_or_none(line) for p, line in data["lines"]}
        return cls(path, None if version is None else str(version), problems, offered, lines)


def _int_or_none(value: Any) -> int | None:
    if value is not None and type(value) is not int:
        raise TypeError(f"not a line number: {value!r}")
    return value


def validator_identity() -> str:
    """What, besides the bytes, decides what the validator says: bumped or upgraded, a miss."""
    return f"prepctl-openapi-{CACHE_FORMAT};" + distribution_versions(
        "openapi-spec-validator", "openapi-schema-validator", "jsonschema-path", *JSONSCHEMA_STACK)


class OpenAPIGate(Gate[OpenAPISpec]):
    kind = "openapi"
    options = OpenAPISpec
    # No lazy_imports: the validator (and jsonschema, 1.4 s of imports) loads only on a cache miss.

    def check(self, spec: OpenAPISpec, phase: Phase, ctx: GateContext) -> Verdict:
        from prepctl.sources.documents import DocumentError, require_document_file

        tree = ctx.tree
        rel = spec.document
        try:
            # Before any read: a FIFO would block, a 2 GB file would be read whole for its blob id.
            require_document_file(tree, rel)
            blob = tree.blob_id(rel)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise GateError(f"OpenAPI document {tree.describe(rel)} not found under {tree.label}; "
                            "set `document:` to its path relative to the root") from None
        except DocumentError as exc:
            raise GateError(f"cannot read OpenAPI document {exc}; set `document:` to the OpenAPI "
                            "file itself") from None
        cache = content_cache(ctx)
        checked = ctx.shared(f"openapi:{rel}:{blob}", lambda: cached_check(tree, rel, blob, cache))
        return judge(spec, checked, tree.revision)


def cached_check(tree: Tree, rel: str, blob: str, cache: ContentCache) -> CheckedDocument:
    """:func:`check_document`, or what it said last time about the same content and validator.

    A GateError ("cannot judge") is cached too, and raised again on a hit."""
    key = make_key("openapi", validator_identity(), rel, blob)
    deps = Dependencies(tree)

    def decode(data: dict[str, Any]) -> CheckedDocument | str:
        return str(data["error"]) if "error" in data else CheckedDocument.from_json(rel, data)

    found = cache.get(key, deps.current, decode)
    if isinstance(found, str):
        raise GateError(found)
    if found is not None:
        return found
    try:
        checked = check_document(tree, rel, deps)
    except DocumentVanished:
        raise
    except GateError as exc:
        cache.put(key, {"error": str(exc)}, deps.blobs)
        raise
    cache.put(key, checked.to_json(), deps.blobs)
    return checked


def check_document(tree: Tree, rel: str, deps: Dependencies | None = None) -> CheckedDocument:
    """Parse and validate. GateError if it cannot be parsed or judged; problems if it is not valid.

    ``deps`` records the other files read (`$ref` targets), for the cache."""
    from dataclasses import replace

    from prepctl.sources.documents import DocumentError, json_shaped, load_document

    deps = deps if deps is not None else Dependencies(tree)

    try:
        document = load_document(tree, rel)
    except DocumentError as exc:
        raise GateError(f"cannot parse OpenAPI document {exc}") from None
    except FileNotFoundError:
        raise DocumentVanished(f"OpenAPI document {rel} not found") from None
    if document.duplicates:
        # The parser kept the last one; another tool (or the author) may mean the first.
        first = document.duplicates[0]
        more = f" (+{len(document.duplicates) - 1} more)" if len(document.duplicates) > 1 else ""
        raise GateError(f"OpenAPI document {first.describe(rel)}{more}: which one counts is "
                        "undefined; remove or rename one")
    # OpenAPI keys are text; YAML reads `200:` as an int, which the validator cannot handle.
    document = replace(document, data=json_shaped(document.data))
    data = document.data
    if isinstance(data, str) and data.startswith("version https://git-lfs."):
        # A checkout without `git lfs pull`: the real document was never here to judge.
        raise GateError(f"{rel} is a Git LFS pointer, not the document; run `git lfs pull` first")
    if not isinstance(data, dict):
        return summary(document, None, [SpecProblem(
            f"the document is a {type(data).__name__}, not a mapping with `openapi:` and `paths:`", "$", 1)])
    version = data.get("openapi")
    if version is None and "swagger" in data:
        raise GateError(f"{rel}:{document.line_of(['swagger']) or 1} is a Swagger {data['swagger']} "
                        "document; the openapi gate checks OpenAPI 3.0, 3.1 and 3.2: convert it (e.g. "
                        "with swagger2openapi) or point `document:` at the OpenAPI 3 file")
    if version is None:
        return summary(document, None, [SpecProblem(
            "not an OpenAPI document: no `openapi:` version field", "$", 1)])
    version = str(version)
    validator_cls = _validator_class(version) if isinstance(data.get("openapi"), str) else None
    if validator_cls is None and isinstance(data.get("openapi"), str):
        raise GateError(f"{rel}:{document.line_of(['openapi']) or 1}: OpenAPI version {version!r} is not "
                        "one this gate can check (3.0.x, 3.1.x or 3.2.x)")
    if validator_cls is None:
        return summary(document, version, [SpecProblem(
            f"`openapi: {version}` is a {type(data['openapi']).__name__}; quote it: openapi: \"{version}\"",
            "$.openapi", document.line_of(["openapi"]))])
    for section in ("paths", "webhooks", "components"):
        if section in data and not isinstance(data[section], dict):
            # The validator's semantic pass assumes these are mappings and crashes otherwise.
            found = "empty" if data[section] is None else f"a {type(data[section]).__name__}"
            return summary(document, version, [SpecProblem(
                f"`{section}:` is {found}, not a mapping", f"$.{section}", document.line_of([section]))])
    checked = summary(document, version, list(_validate(tree, document, validator_cls, deps)))
    paths = data.get("paths")
    if isinstance(paths, dict):
        for api_path, item in paths.items():
            try:
                checked.offered[str(api_path)] = operations(tree, document, item, deps)
            except GateError:
                checked.offered[str(api_path)] = set()  # the validator reports the broken $ref
    return checked


def summary(document: Document, version: str | None, problems: list[SpecProblem]) -> CheckedDocument:
    """What a criterion needs of the document: its problems and each API path with its line."""
    data = document.data if isinstance(document.data, dict) else {}
    paths = data.get("paths") if isinstance(data.get("paths"), dict) else {}
    lines = {p: document.line_of(["paths", p]) for p in paths if isinstance(p, str)}
    return CheckedDocument(document.path, version, problems, path_lines=lines)


def _validator_class(version: str) -> type | None:
    import_serially("openapi_spec_validator")
    import openapi_spec_validator as osv

    by_minor = {"3.0": "OpenAPIV30SpecValidator", "3.1": "OpenAPIV31SpecValidator",
                "3.2": "OpenAPIV32SpecValidator"}
    match = re.fullmatch(r"(3\.\d+)(?:\.\d+)?(?:-[\w.]+)?", version)
    name = by_minor.get(match.group(1)) if match else None
    return getattr(osv, name, None) if name else None


class _RemoteReference(Exception):
    """A `$ref` to http(s): prepctl reads the checkout only and never fetches."""


class _TreeReferences:
    """Serves `$ref` targets from the tree, so `gate --at REV` sees that revision's files."""

    def __init__(self, tree: Tree, deps: Dependencies):
        self.tree = tree
        self.deps = deps

    def __call__(self, uri: str) -> Any:
        from prepctl.sources.documents import load_document

        parts = urlsplit(uri)
        if parts.scheme in ("http", "https"):
            raise _RemoteReference(uri)
        rel = normpath(unquote(parts.path)).lstrip("/")
        self.deps.record(rel)
        return load_document(self.tree, rel).data


def _validate(tree: Tree, document: Document, validator_cls: type, deps: Dependencies) -> Iterator[SpecProblem]:
    from referencing.exceptions import Unresolvable

    from prepctl.sources.documents import DocumentError, json_path_text

    refs = _TreeReferences(tree, deps)
    handlers = {scheme: refs for scheme in ("", "file", "http", "https")}
    bound = type(f"Tree{validator_cls.__name__}", (validator_cls,), {"resolver_handlers": handlers})
    # A root-relative file URI: relative `$ref`s then resolve to paths inside the tree.
    validator = bound(document.data, base_uri=f"file:///{document.path}")
    try:
        for error in validator.iter_errors():
            found = _most_specific(error)
            path = list(getattr(found, "absolute_path", []) or []) or _path_named_in(document, found.message)
            yield SpecProblem(_shorten(str(found.message)), json_path_text(path), document.line_of(path))
    except RecursionError:
        raise GateError(f"{document.path}: $refs nest too deeply to validate (a $ref cycle the "
                        "validator cannot follow?)") from None
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        # The validator assumes a well-formed shape; on a malformed one it crashes, which says
        # nothing about validity: the document cannot be judged.
        raise GateError(f"{document.path}: openapi-spec-validator could not check this document "
                        f"({type(exc).__name__}: {_shorten(str(exc))}); fix its structure") from None
    except Unresolvable as exc:
        causes = list(_causes(exc))
        ref = getattr(exc, "ref", str(exc))
        if any(isinstance(c, _RemoteReference) for c in causes):
            raise GateError(f"{document.path}: $ref {ref} points at the network; prepctl only reads "
                            "files under the root") from None
        unreadable = [c for c in causes if isinstance(c, DocumentError | FileNotFoundError)]
        reason = ""
        if unreadable:
            reason = " (file not found)" if isinstance(unreadable[0], FileNotFoundError) else f" ({unreadable[0]})"
        where = _ref_locations(document, ref)
        yield SpecProblem(f"unresolvable $ref {ref!r}{reason}", json_path_text(where[0]) if where else "$",
                      document.line_of(where[0]) if where else None)


def _most_specific(error: Any) -> Any:
    """oneOf/anyOf failures nest the real complaint; pick the deepest one, as a reader would."""
    while getattr(error, "context", None):
        deepest = max(len(c.absolute_path) for c in error.context)
        candidates = [c for c in error.context if len(c.absolute_path) == deepest]
        if len(candidates) > 1 and all(c.validator == "enum" for c in candidates):
            allowed = [v for c in candidates for v in c.validator_value]
            candidates[0].message = f"{candidates[0].instance!r} is not one of {allowed!r}"
            return candidates[0]
        error = next((c for c in candidates if c.validator not in ("oneOf", "anyOf", "required")),
                     candidates[0])
    return error


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _path_named_in(document: Document, message: Any) -> list[Any]:
    # Semantic errors (e.g. an undeclared path parameter) carry no JSON path but name the path.
    paths = document.data.get("paths") if isinstance(document.data, dict) else None
    if isinstance(paths, dict):
        for quoted in re.findall(r"'(/[^']*)'", str(message)):
            if quoted in paths:
                return ["paths", quoted]
    return []


def _ref_locations(document: Document, ref: str) -> list[list[Any]]:
    target = ref.split("#", 1)[-1]
    found: list[list[Any]] = []

    def walk(node: Any, path: list[Any]) -> None:
        if isinstance(node, dict):
            value = node.get("$ref")
            if isinstance(value, str) and value.split("#", 1)[-1] == target and (
                    "#" in ref or value == ref or ref.endswith(value.split("#", 1)[0])):
                found.append([*path, "$ref"])
            for key, child in node.items():
                walk(child, [*path, key])
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, [*path, index])

    walk(document.data, [])
    return found


def _shorten(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


# ---------------------------------------------------------------- required paths


@lru_cache(maxsize=256)
def path_pattern(pattern: str, loose: bool = False) -> re.Pattern[str]:
    """`*` spans segments and matches at least one character; `{param}` matches any parameter
    name. Exact otherwise: OpenAPI's `/a/` is not `/a`. ``loose`` ignores case and a trailing
    slash, to name near misses, never to match."""
    out = ""
    for piece in re.split(r"(\*|\{[^}/]*\})", pattern.rstrip("/") if loose else pattern):
        if piece == "*":
            out += ".+"
        elif piece.startswith("{") and piece.endswith("}"):
            out += r"\{[^}/]*\}"
        else:
            out += re.escape(piece)
    return re.compile(out + "/?", re.IGNORECASE) if loose else re.compile(out)


def operations(tree: Tree, document: Document, path_item: Any, deps: Dependencies | None = None) -> set[str]:
    """The HTTP methods a path item offers; a `$ref`'d path item is followed inside the tree."""
    if isinstance(path_item, dict) and isinstance(path_item.get("$ref"), str):
        path_item = _follow_ref(tree, document, path_item["$ref"], deps or Dependencies(tree))
    if not isinstance(path_item, dict):
        return set()
    return {key for key in path_item if key in HTTP_METHODS}


def _follow_ref(tree: Tree, document: Document, ref: str, deps: Dependencies) -> Any:
    from prepctl.sources.documents import DocumentError, load_document

    file_part, _, pointer = ref.partition("#")
    data = document.data
    if file_part:
        if urlsplit(file_part).scheme:
            raise GateError(f"{document.path}: path item $ref {ref} is not a file under the root")
        rel = normpath(join(dirname(document.path), file_part))
        deps.record(rel)
        try:
            data = load_document(tree, rel).data
        except (DocumentError, FileNotFoundError) as exc:
            raise GateError(f"{document.path}: path item $ref {ref}: {exc}") from None
    for part in [p for p in pointer.split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        data = data.get(part) if isinstance(data, dict) else None
    return data


def judge(spec: OpenAPISpec, checked: CheckedDocument, revision: str | None = None) -> Verdict:
    rel = checked.path
    evidence: list[Evidence] = []
    for problem in checked.problems[:MAX_LISTED_PROBLEMS]:
        evidence.append(Evidence(f"invalid at {problem.json_path}: {problem.message}", path=rel,
                                 line=problem.line, revision=revision))
    if len(checked.problems) > MAX_LISTED_PROBLEMS:
        evidence.append(Evidence(f"... and {len(checked.problems) - MAX_LISTED_PROBLEMS} more problems",
                                 path=rel, revision=revision))
    if not checked.problems:
        evidence.append(Evidence(f"valid OpenAPI {checked.version}", path=rel, line=1,
                                 value=checked.version, revision=revision))

    api_paths = checked.path_lines
    missing: list[str] = []
    for required in spec.required_paths():
        regex = path_pattern(required.path)
        matched = [p for p in api_paths if isinstance(p, str) and regex.fullmatch(p)]
        if not matched:
            missing.append(required.path)
            near = near_misses(required.path, api_paths)
            hint = f" (near miss: {', '.join(near)}; case and a trailing slash count)" if near else ""
            evidence.append(Evidence(f"no path matches {required.path}{hint}", path=rel, value=0,
                                     line=api_paths[near[0]] if near else None,
                                     expected=_expected(required), revision=revision))
            continue
        for api_path in matched:
            offered = checked.offered.get(api_path, set())
            lacking = [m for m in required.methods if m not in offered]
            if lacking or not offered:
                what = ", ".join(m.upper() for m in lacking) if lacking else "any operation"
                missing.append(f"{what} on {api_path}")
            evidence.append(Evidence(
                f"{required.path} -> {api_path}", path=rel, line=api_paths[api_path],
                value=", ".join(sorted(m.upper() for m in offered)) or "no operations",
                expected=_expected(required), revision=revision))

    failures = []
    if checked.problems:
        failures.append(f"{rel} is not valid OpenAPI: {_first_problem(checked)}")
    if missing:
        failures.append("missing " + "; ".join(missing))
    if failures:
        return Verdict.of(Status.FAIL, "; ".join(failures), evidence)
    listed = f"{len(spec.paths)} required path pattern(s) present, " if spec.paths else ""
    return Verdict.of(Status.PASS, f"{listed}{rel} is valid OpenAPI {checked.version}", evidence)


def near_misses(pattern: str, api_paths: dict[Any, Any]) -> list[str]:
    """Document paths that differ from ``pattern`` only in case or a trailing slash."""
    loose = path_pattern(pattern, loose=True)
    return [p for p in api_paths if isinstance(p, str) and loose.fullmatch(p)][:3]


def _expected(required: RequiredPath) -> str:
    return ", ".join(m.upper() for m in required.methods) if required.methods else "any operation"


def _first_problem(checked: CheckedDocument) -> str:
    first = checked.problems[0]
    where = f"{checked.path}:{first.line}" if first.line else checked.path
    more = f" (+{len(checked.problems) - 1} more)" if len(checked.problems) > 1 else ""
    return f"{first.message} at {where}{more}"
