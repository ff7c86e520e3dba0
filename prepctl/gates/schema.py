"""Gate kind `schema`: each engine's config validates against the JSON Schema beside it.

```yaml
- id: engine-config-schemas
  kind: schema
  title: Configuration schemas live alongside each engine, validated in CI
  engines: prep/compliance/*_compliance_engine/
  config: config.yaml                 # glob inside each engine folder (default)
  schema_file: "{stem}.schema.json"   # pairing rule (default): config.yaml <-> config.schema.json
```

``schema_file`` is relative to the config's folder, or to the root when it starts with `/`.
Placeholders: ``{engine}`` (the engine folder's name), ``{config}`` (the config file's name),
``{stem}`` (that name without its last extension).

An engine without a config or without a schema fails, and so does each validation error, whose
evidence is its JSON path at file:line. No engine found, no config in any engine, or a config or
schema that cannot be parsed is ``error``: there is nothing we could honestly judge. So is a
config or schema with a duplicate key (which one counts is undefined), a NaN or infinity (it
compares false against every bound, so `maximum: 10` would let NaN through), a `$schema` naming
a dialect jsonschema does not know (validating it as another draft would guess), a keyword
that is a typo of one of the dialect's (`maximun`: unknown keywords are ignored, so the bound it
meant would never be checked), and a `$ref` that leaves the root. A schema that constrains nothing
(`{}`, `true`, or only titles and descriptions) fails: every config would pass it.

Each config's result is cached by content (`.prepctl/cache`, see the
[reliability page](../reliability.md#content-caches)): the same config, schema and `$ref`'d
files with the same jsonschema give the stored result, and jsonschema is not even imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from posixpath import basename, dirname, join, normpath, splitext
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from prepctl.contentcache import ContentCache, distribution_versions, import_serially, make_key
from prepctl.errors import GateError
from prepctl.gates.base import Gate
from prepctl.gates.cached import JSONSCHEMA_STACK, Dependencies, content_cache, current_blob
from prepctl.plan.model import CriterionSpec, Phase
from prepctl.sources.context import GateContext
from prepctl.verdicts import Evidence, Status, Verdict

if TYPE_CHECKING:
    from prepctl.sources.documents import Document
    from prepctl.sources.tree import Tree

#: Keywords that describe but never reject: a schema with only these constrains nothing.
ANNOTATIONS = frozenset({"$schema", "$id", "id", "$defs", "definitions", "$comment", "$anchor", "$dynamicAnchor",
                         "$recursiveAnchor", "$vocabulary", "title", "description", "default", "examples",
                         "readOnly", "writeOnly", "deprecated", "contentMediaType", "contentEncoding",
                         "contentSchema", "then", "else",
                         # checked by another keyword's code in some drafts (contains, maximum, $ref)
                         "minContains", "maxContains", "exclusiveMaximum", "exclusiveMinimum",
                         "$recursiveRef", "$dynamicRef"})
# Where subschemas live, by shape; enum/const/default/examples hold data and are not walked.
#: The formats the JSON Schema drafts define; each must really be checked (a custom one is only an
#: annotation, as the specification says).
STANDARD_FORMATS = frozenset({
    "date", "time", "date-time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
    "uri", "uri-reference", "iri", "iri-reference", "uuid", "uri-template", "json-pointer",
    "relative-json-pointer", "regex"})
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies")
_SUBSCHEMA_ONE = ("additionalProperties", "additionalItems", "items", "contains", "not", "if", "then", "else",
                  "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")

#: Past this many, further validation errors of one config are counted but not listed.
MAX_ERRORS_PER_CONFIG = 25
_MAX_MESSAGE = 300
_PLACEHOLDERS = ("{engine}", "{config}", "{stem}")
#: Bump when what a config's check reports changes: older cached results are then ignored.
CACHE_FORMAT = 1


class SchemaSpec(CriterionSpec):
    kind: Literal["schema"]
    engines: str | list[str] = Field(min_length=1, description="Glob(s) of engine folders, relative "
                                     "to the root, e.g. prep/compliance/*_compliance_engine/.")
    config: str = Field("config.yaml", description="Glob of each engine's config file(s), relative "
                        "to the engine folder.")
    schema_file: str = Field("{stem}.schema.json", description="Where a config's JSON Schema is: "
                             "relative to the config's folder (or to the root with a leading /). "
                             "Placeholders {engine}, {config}, {stem}.")

    def engine_globs(self) -> list[str]:
        return [self.engines] if isinstance(self.engines, str) else list(self.engines)

    @field_validator("schema_file")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        import re

        unknown = [p for p in re.findall(r"\{[^}]*\}", value) if p not in _PLACEHOLDERS]
        if unknown:
            raise ValueError(f"unknown placeholder {', '.join(unknown)}; use {', '.join(_PLACEHOLDERS)}")
        return value


@dataclass
class EngineCheck:
    """What was found for one engine: evidence plus whether it failed or could not be judged."""

    engine: str
    evidence: list[Evidence] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    configs: int = 0


@dataclass
class PairOutcome:
    """What checking one config against its schema found; cached by content, so the evidence
    carries no revision (the same bytes at another revision give the same outcome)."""

    evidence: list[Evidence] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"evidence": [[e.label, e.path, e.line, e.value, e.expected] for e in self.evidence],
                "failures": self.failures, "errors": self.errors}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PairOutcome:
        evidence = []
        for label, path, line, value, expected in data["evidence"]:
            if not isinstance(label, str) or not isinstance(line, int | None) or isinstance(line, bool):
                raise TypeError("not an evidence row")
            evidence.append(Evidence(label, path=path, line=line, value=value, expected=expected))
        failures, errors = data["failures"], data["errors"]
        if not all(isinstance(m, str) for m in [*failures, *errors]):
            raise TypeError("not a list of messages")
        return cls(evidence, list(failures), list(errors))


def validator_identity() -> str:
    """What, besides the bytes, decides a config's outcome: bumped or upgraded, a miss."""
    return f"prepctl-schema-{CACHE_FORMAT};" + distribution_versions(*JSONSCHEMA_STACK)


class SchemaGate(Gate[SchemaSpec]):
    kind = "schema"
    options = SchemaSpec
    # No lazy_imports: jsonschema (1.4 s of imports) loads only on a cache miss.

    def check(self, spec: SchemaSpec, phase: Phase, ctx: GateContext) -> Verdict:
        tree = ctx.tree
        engines = find_engines(tree, spec.engine_globs())
        if not engines:
            raise GateError(f"no engine folder matches {', '.join(spec.engine_globs())} under {tree.label}; "
                            "is --root right, or does `engines` need changing?")
        cache = content_cache(ctx)
        checks = [check_engine(tree, engine, spec, cache) for engine in engines]
        return judge(checks, spec)


def find_engines(tree: Tree, patterns: list[str]) -> list[str]:
    """Engine folders, in order; a pattern names folders whether or not it ends with `/`."""
    from prepctl.gates.paths import find

    found: dict[str, None] = {}
    for pattern in patterns:
        for folder in find(tree, pattern.rstrip("/") + "/"):
            found.setdefault(folder.rstrip("/"), None)
    return list(found)


def schema_path_for(config_rel: str, engine: str, rule: str) -> str:
    name = basename(config_rel)
    filled = (rule.replace("{engine}", basename(engine.rstrip("/")))
              .replace("{config}", name).replace("{stem}", splitext(name)[0]))
    if filled.startswith("/"):
        return normpath(filled.lstrip("/"))
    return normpath(join(dirname(config_rel), filled))


def configs_of(tree: Tree, engine: str, spec: SchemaSpec) -> list[str]:
    found = tree.glob(f"{engine.rstrip('/')}/{spec.config}")
    # A loose pattern such as `config.*` also matches the schema itself; a schema is not a config.
    schemas = {schema_path_for(rel, engine, spec.schema_file) for rel in found}
    return [rel for rel in found if rel not in schemas]


def check_engine(tree: Tree, engine: str, spec: SchemaSpec, cache: ContentCache | None = None) -> EngineCheck:
    result = EngineCheck(engine)
    revision = tree.revision
    configs = configs_of(tree, engine, spec)
    result.configs = len(configs)
    if not configs:
        result.failures.append(f"{engine} has no {spec.config}")
        result.evidence.append(Evidence(f"no config in engine {engine}", path=engine,
                                        expected=spec.config, revision=revision))
        return result
    for config_rel in configs:
        schema_rel = schema_path_for(config_rel, engine, spec.schema_file)
        if not tree.is_file(schema_rel):
            result.failures.append(f"{engine} has no schema ({_beside(schema_rel, config_rel)})")
            result.evidence.append(Evidence(f"no schema: {_beside(schema_rel, config_rel)} is missing",
                                            path=config_rel, expected=schema_rel, revision=revision))
            continue
        outcome = cached_pair(tree, config_rel, schema_rel, cache or ContentCache(None))
        result.evidence.extend(replace(e, revision=revision) for e in outcome.evidence)
        result.failures.extend(outcome.failures)
        result.errors.extend(outcome.errors)
    return result


def cached_pair(tree: Tree, config_rel: str, schema_rel: str, cache: ContentCache) -> PairOutcome:
    """:func:`check_pair`, or its stored outcome for the same config, schema, `$ref`'d files and
    validator."""
    deps = Dependencies(tree)
    # Taken before the files are read: a file changing meanwhile can make the entry stale, not wrong.
    config_blob, schema_blob = current_blob(tree, config_rel), current_blob(tree, schema_rel)
    if config_blob is None or schema_blob is None:
        return check_pair(tree, config_rel, schema_rel, deps)  # unreadable: say why, every time
    key = make_key("schema", validator_identity(), config_rel, config_blob, schema_rel, schema_blob)
    found = cache.get(key, deps.current, PairOutcome.from_json)
    if found is not None:
        return found
    outcome = check_pair(tree, config_rel, schema_rel, deps)
    cache.put(key, outcome.to_json(), deps.blobs)
    return outcome


def check_pair(tree: Tree, config_rel: str, schema_rel: str, deps: Dependencies) -> PairOutcome:
    """Parse and validate one config against its schema; ``deps`` records the `$ref`'d files."""
    from prepctl.sources.documents import DocumentError, json_path_text, load_document

    result = PairOutcome()
    try:
        config = load_document(tree, config_rel)
        schema_doc = load_document(tree, schema_rel)
        for document in (config, schema_doc):
            refuse_unjudgeable(document)
    except DocumentError as exc:
        result.errors.append(f"cannot parse {exc}")
        result.evidence.append(Evidence(f"cannot parse: {exc.message}", path=exc.path, line=exc.line))
        return result
    try:
        errors = validation_errors(tree, config, schema_doc, deps)
    except GateError as exc:
        result.errors.append(str(exc))
        result.evidence.append(Evidence(str(exc), path=schema_rel))
        return result
    if constrains_nothing(schema_doc.data):
        result.failures.append(f"{schema_rel} constrains nothing, so every config passes it")
        result.evidence.append(Evidence("the schema has no keyword that can reject a config (only "
                                        "titles, descriptions or nothing); write the real schema",
                                        path=schema_rel, line=1, value=_shorten(str(schema_doc.data))))
        return result
    if not errors:
        result.evidence.append(Evidence(f"valid against {_beside(schema_rel, config_rel)}",
                                        path=config_rel, line=1,
                                        value="valid", expected=schema_rel))
        return result
    result.failures.append(f"{config_rel}: {len(errors)} validation error(s)")
    for error in errors[:MAX_ERRORS_PER_CONFIG]:
        json_path = json_path_text(error.absolute_path)
        schema_pointer = "/".join(str(p) for p in error.absolute_schema_path)
        result.evidence.append(Evidence(f"{json_path}: {_shorten(error.message)}", path=config_rel,
                                        line=config.line_of(list(error.absolute_path)),
                                        value=json_path, expected=f"{schema_rel}#/{schema_pointer}"))
    if len(errors) > MAX_ERRORS_PER_CONFIG:
        result.evidence.append(Evidence(f"... and {len(errors) - MAX_ERRORS_PER_CONFIG} more errors",
                                        path=config_rel))
    return result


def refuse_unjudgeable(document: Document) -> None:
    """DocumentError for what a JSON Schema verdict on ``document`` could not be trusted with."""
    from prepctl.sources.documents import DocumentError, json_path_text, non_finite_paths

    if document.duplicates:
        first = document.duplicates[0]
        raise DocumentError(document.path, f"{first.describe(document.path)}: which one counts is "
                            "undefined; remove or rename one", first.line)
    for json_path in non_finite_paths(document.data):
        raise DocumentError(document.path, f"{json_path_text(json_path)} is NaN or infinite, which "
                            "passes every numeric bound; write a number", document.line_of(list(json_path)))


def validation_errors(tree: Tree, config: Document, schema_doc: Document,
                      deps: Dependencies | None = None) -> list[Any]:
    """Every way ``config`` breaks the schema, in document order. GateError if the schema is unusable.

    ``deps`` records the `$ref`'d files read, for the cache."""
    import_serially("jsonschema", "referencing.jsonschema")
    from jsonschema import validators
    from jsonschema.exceptions import SchemaError, best_match
    from referencing.exceptions import Unresolvable

    schema = schema_doc.data
    if not isinstance(schema, dict | bool):
        raise GateError(f"{schema_doc.path} is not a JSON Schema (a {type(schema).__name__})")
    dialect = schema.get("$schema") if isinstance(schema, dict) else None
    known = validators.validator_for({"$schema": dialect}, default=None) if isinstance(dialect, str) else None
    if dialect is not None and known is None:
        # Validating by another draft's rules would be a guess; an unknown keyword is ignored.
        raise GateError(f"{schema_doc.path}:{schema_doc.line_of(['$schema']) or 1}: unknown $schema "
                        f"{dialect!r}; use a JSON Schema draft jsonschema knows (draft 3 to 2020-12), "
                        "e.g. https://json-schema.org/draft/2020-12/schema")
    validator_cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        validator_cls.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        line = schema_doc.line_of(list(exc.absolute_path))
        raise GateError(f"{schema_doc.path}:{line or 1}: the schema itself is invalid at /{where}: "
                        f"{_shorten(exc.message)}") from None
    for json_path, keyword, meant in keyword_typos(schema, set(validator_cls.VALIDATORS)):
        line = schema_doc.line_of([*json_path, keyword])
        raise GateError(f"{schema_doc.path}:{line or 1}: unknown keyword {keyword!r} at /{'/'.join(json_path)}; "
                        f"did you mean {meant!r}? An unknown keyword is ignored, so it checks nothing")
    for json_path, fmt in unchecked_formats(schema, set(validator_cls.FORMAT_CHECKER.checkers)):
        line = schema_doc.line_of([*json_path, "format"])
        raise GateError(f"{schema_doc.path}:{line or 1}: format {fmt!r} at /{'/'.join(json_path)} cannot be "
                        "checked: its checker is not installed (pip install 'jsonschema[format-nongpl]')")
    registry = _registry(tree, schema_doc, validator_cls, deps or Dependencies(tree))
    validator = validator_cls(schema, registry=registry,
                              format_checker=validator_cls.FORMAT_CHECKER)
    try:
        found = list(validator.iter_errors(config.data))
    except Unresolvable as exc:
        ref = str(getattr(exc, "ref", exc))
        why = ("prepctl never fetches over the network; copy it beside the schema"
               if urlsplit(ref).scheme in ("http", "https") else
               "prepctl follows $refs only to files under the root, and this one is not there")
        raise GateError(f"{schema_doc.path}: cannot resolve $ref {ref}; {why}") from None
    except RecursionError:
        raise GateError(f"{schema_doc.path}: $refs nest too deeply to validate (a $ref cycle?)") from None
    except (TypeError, AttributeError) as exc:
        # e.g. YAML's `8080:` is an int key, and patternProperties assumes text: no verdict.
        raise GateError(f"{config.path}: cannot be validated against {schema_doc.path} "
                        f"({type(exc).__name__}: {_shorten(str(exc))}); is every mapping key text?") from None
    # oneOf/anyOf wrap the real complaint; a reader wants the most specific one.
    specific = [best_match(e.context) or e if e.context else e for e in found]
    return sorted(specific, key=lambda e: (config.line_of(list(e.absolute_path)) or 0, e.message))


def constrains_nothing(schema: Any) -> bool:
    """`true`, `{}` or a schema of annotations only: no config can fail it."""
    import_serially("jsonschema")
    from jsonschema import validators

    if schema is True:
        return True
    if not isinstance(schema, dict):
        return False
    validator_cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    return not (set(schema) & set(validator_cls.VALIDATORS))


def keyword_typos(schema: Any, checks: set[str]) -> list[tuple[tuple[str, ...], str, str]]:
    """(where, keyword, the checking keyword it is close to) for each unknown keyword that looks
    like a typo of one that rejects (``checks``), so a bound the author wrote is really checked.

    Only near misses count: schemas carry custom keywords (`x-...`, `markdownDescription`,
    `errorMessage`, OpenAPI's `example`) that are ignored on purpose; none is near a checking one.
    """
    import difflib

    found = []
    for path, sub in subschemas(schema):
        for key in sub:
            if isinstance(key, str) and key not in checks and key not in ANNOTATIONS and not key.startswith("x-"):
                same_letters = [k for k in checks if k.lower() == key.lower()]  # `oneof`, `Required`
                close = same_letters or difflib.get_close_matches(key, sorted(checks), n=1, cutoff=0.85)
                if close:
                    found.append((path, key, close[0]))
    return found


def unchecked_formats(schema: Any, checkable: set[str]) -> list[tuple[tuple[str, ...], str]]:
    """(where, format) for each standard ``format`` this jsonschema cannot check (its optional
    checker package is missing): jsonschema then ignores it, and `not a url` would pass."""
    return [(path, sub["format"]) for path, sub in subschemas(schema)
            if isinstance(sub.get("format"), str) and sub["format"] in STANDARD_FORMATS
            and sub["format"] not in checkable]


def subschemas(schema: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every schema object inside ``schema`` (itself first), with its JSON path."""
    if not isinstance(schema, dict):
        return
    yield path, schema
    for keyword in _SUBSCHEMA_MAPS:
        children = schema.get(keyword)
        if isinstance(children, dict):
            for name, child in children.items():
                yield from subschemas(child, (*path, keyword, str(name)))
    for keyword in _SUBSCHEMA_ONE:
        yield from subschemas(schema.get(keyword), (*path, keyword))
    for keyword in _SUBSCHEMA_LISTS:
        children = schema.get(keyword)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield from subschemas(child, (*path, keyword, str(index)))


def _registry(tree: Tree, schema_doc: Document, validator_cls: Any, deps: Dependencies) -> Any:
    """A $ref registry that reads sibling schema files from the tree and never the network."""
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import specification_with

    # A referenced file without its own $schema is read in the dialect of the schema citing it.
    dialect = specification_with(validator_cls.META_SCHEMA.get("$schema", ""),
                                 default=specification_with("https://json-schema.org/draft/2020-12/schema"))

    from prepctl.sources.documents import DocumentError, load_document

    schema = schema_doc.data if isinstance(schema_doc.data, dict) else {}
    own_id = schema.get("$id") if isinstance(schema.get("$id"), str) else None
    schema_dir = dirname(schema_doc.path)

    def retrieve(uri: str) -> Resource:
        rel = _tree_path(uri, own_id, schema_dir)
        if rel is None:
            raise NoSuchResource(ref=uri)
        deps.record(rel)
        try:
            return Resource.from_contents(load_document(tree, rel).data, default_specification=dialect)
        except (DocumentError, FileNotFoundError, IsADirectoryError):
            raise NoSuchResource(ref=uri) from None

    return Registry(retrieve=retrieve)


def _tree_path(uri: str, own_id: str | None, schema_dir: str) -> str | None:
    """Map a $ref's URI to a file beside the schema: relative to the schema's own $id or path."""
    if own_id is not None:
        base = own_id.rsplit("/", 1)[0] + "/"
        if uri.startswith(base):
            return normpath(join(schema_dir, uri[len(base):].split("#", 1)[0]))
    parts = urlsplit(uri)
    if parts.scheme in ("", "file") and parts.path:
        path = parts.path
        return normpath(path.lstrip("/") if path.startswith("/") else join(schema_dir, path))
    return None


def judge(checks: list[EngineCheck], spec: SchemaSpec) -> Verdict:
    evidence = [item for check in checks for item in check.evidence]
    errors = [e for check in checks for e in check.errors]
    failures = [f for check in checks for f in check.failures]
    if errors:
        summary = errors[0]
        if len(errors) > 1:
            summary += f" (+{len(errors) - 1} more)"
        if failures:
            summary += f"; also failing: {'; '.join(failures)}"
        return Verdict.of(Status.ERROR, summary, evidence)
    if all(check.configs == 0 for check in checks):
        return Verdict.of(Status.ERROR, f"no engine has a config matching {spec.config}; "
                          "does `config` need changing?", evidence)
    if failures:
        return Verdict.of(Status.FAIL, "; ".join(failures), evidence)
    return Verdict.of(Status.PASS, f"{len(checks)} engine(s): every config validates against its "
                      "schema", evidence)


def _beside(schema_rel: str, config_rel: str) -> str:
    """The schema's name alone when it sits beside the config: shorter, and just as exact."""
    return basename(schema_rel) if dirname(schema_rel) == dirname(config_rel) else schema_rel


def _shorten(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"
