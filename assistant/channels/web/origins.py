"""Which browser origins may use the chat endpoints (CORS and the Origin header)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Iterable, Mapping, Optional


def normalize_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


@dataclass(frozen=True)
class OriginPolicy:
    """Allowed origins; the server's own origin (where the demo page lives) always is."""

    allowed: FrozenSet[str]

    @classmethod
    def from_list(cls, origins: Iterable[str]) -> OriginPolicy:
        return cls(frozenset(normalize_origin(o) for o in origins if o.strip()))

    def permits(self, headers: Mapping[str, str], own_origin: str) -> bool:
        """Allow a request that comes from an allowed origin, or plainly from our own site.

        Browsers send ``Origin`` on cross-origin requests and on POSTs; a same-origin GET may
        carry only ``Sec-Fetch-Site``. A request from a browser on another site is refused.
        """
        origin = headers.get("origin")
        if origin is not None:
            return self.allows(origin, own_origin)
        return headers.get("sec-fetch-site", "same-origin") in ("same-origin", "none")

    def allows(self, origin: Optional[str], own_origin: str) -> bool:
        if not origin:
            return False
        origin = normalize_origin(origin)
        return origin == normalize_origin(own_origin) or origin in self.allowed
