"""Internal HTTP client used by the analytics service to reach the monolith."""
from __future__ import annotations

from typing import Any

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class MonolithClient:
    def __init__(self, base_url: str, token: str | None = None) -> None:
        headers = {"User-Agent": "prep-analytics-api/0.1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=DEFAULT_TIMEOUT)

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = await self._client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    async def host_summary(self, host_id: int) -> dict[str, Any]:
        return await self.get_json(f"/analytics/host/{host_id}/summary")

    async def aclose(self) -> None:
        await self._client.aclose()
