"""Optional dependencies and lazily loaded domain modules."""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

try:
    import orjson as _json
except ImportError:
    import json as _json


def dumps(obj: Any) -> str:
    out = _json.dumps(obj)
    return out.decode() if isinstance(out, bytes) else out


def load_review_service() -> ModuleType:
    """Reviews are loaded on demand: the module pulls in the ORM mappers."""
    return importlib.import_module("prep.reviews.service")
