"""openapi: API paths (and methods) in a named OpenAPI document.

Example: "Finalize API contract for `/api/v1/analytics` and `/analytics/host/*` routes in `openapi.yaml`."

The document is opened; each path the bullet names is looked up in it (``*`` matches anything),
and the methods are those the bullet names (GET, POST ...), else any.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from prepctl.scaffold.grounding import Repository
from prepctl.scaffold.recognisers.interface import Bullet, Criterion, Draft, Outcome, PlanContext, Unsure

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def document_paths(data: Any) -> list[str] | None:
    if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
        return None
    return [str(p) for p in data["paths"]]


class OpenAPIRecogniser:
    name: ClassVar[str] = "openapi"
    priority: ClassVar[int] = 60
    examples: ClassVar[tuple[str, ...]] = (
        "Finalize API contract for `/api/v1/analytics` and `/analytics/host/*` routes in `openapi.yaml`.",
    )

    def recognise(self, bullet: Bullet, repo: Repository, plan: PlanContext) -> Outcome | None:
        routes = [s for s in bullet.spans if s.startswith("/")]
        documents = [s for s in bullet.spans if re.search(r"\.(ya?ml|json)$", s) and not s.startswith("/")]
        if not routes or not (documents or bullet.has(r"\bopenapi\b", r"\bAPI contract\b")):
            return None
        if not documents:
            return Unsure(self.name, "the bullet names routes but no OpenAPI document")
        document = repo.find_document(documents[0])
        if document is None:
            return Unsure(self.name, f"{documents[0]}: no such document under the root")
        data, problem = repo.load(document)
        if problem:
            return Unsure(self.name, problem)
        listed = document_paths(data)
        if listed is None:
            return Unsure(self.name, f"{document} is not an OpenAPI document with paths:")
        methods = [m for m in _METHODS if re.search(rf"\b{m}\b", bullet.text, re.IGNORECASE if m != "get" else 0)
                   or re.search(rf"\b{m.upper()}\b", bullet.text)]
        grounding = [f"{document} opened: {len(listed)} paths"]
        for route in routes:
            regex = re.compile(re.escape(route).replace(r"\*", ".*"))
            hits = [p for p in listed if regex.fullmatch(p)]
            grounding.append(f"{route}: " + (", ".join(hits) if hits else "not in the document yet"))
        paths = [{"path": r, "methods": methods} if methods else r for r in routes]
        return Draft(self.name, [Criterion("openapi", f"{', '.join(routes)} in {document}",
                                           {"document": document, "paths": paths})],
                     grounding, "the bullet names API routes that the named document must describe")


RECOGNISER = OpenAPIRecogniser()
