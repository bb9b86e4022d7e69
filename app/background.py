"""Background loops a process runs once (the webhook dispatcher, the reminder sweeper): kept
on ``services.extras`` under a key, so starting twice finds the running one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from app.wiring import Services


class Loop(Protocol):
    def __init__(self, services: Services) -> None: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


L = TypeVar("L", bound=Loop)


async def start_once(services: Services, key: str, kind: type[L]) -> L:
    """Start this process's ``kind`` loop; the same one if it already runs."""
    found = services.extras.get(key)
    if isinstance(found, kind):
        return found
    loop = kind(services)
    services.extras[key] = loop
    await loop.start()
    return loop


async def stop(services: Services, key: str, kind: type[Loop]) -> None:
    found = services.extras.pop(key, None)
    if isinstance(found, kind):
        await found.close()
