"""A council's own unit costs: set and removed in a unit of work with an audit record each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.channels import BY_ID
from core.errors import NotFound, Unprocessable
from core.store import Reader
from core.store.queries import costs as q
from core.store.queries import councils as qc
from core.store.schema import EVERY_SERVICE


@dataclass(frozen=True)
class CostChange:
    service: int | None  # None: every service
    channel: str
    cost_gbp: float
    source: str


def _service_words(service: int | None) -> str:
    return "every service" if service is None else f"LGSL {service}"


async def set_costs(store: Reader, council_id: str, actor: str, changes: Sequence[CostChange]) -> int:
    """Set unit costs (replacing the council's earlier figure for the same service and channel)."""
    for k, c in enumerate(changes):
        if c.channel not in BY_ID:
            raise Unprocessable(
                f"costs[{k}].channel: unknown channel {c.channel!r}; known: {', '.join(BY_ID)}"
            )
        if c.service is not None and not await service_known(store, council_id, c.service):
            raise Unprocessable(f"costs[{k}].service: no service with LGSL code {c.service}")
    async with store.unit_of_work() as uow:
        for c in changes:
            code = EVERY_SERVICE if c.service is None else c.service
            await uow.execute(q.delete_cost(council_id, code, c.channel))
            await uow.execute(q.insert_cost(council_id, code, c.channel, c.cost_gbp, c.source))
            detail = (
                f"unit cost of {c.channel} for {_service_words(c.service)}: £{c.cost_gbp:.2f} ({c.source})"
            )
            await uow.execute(qc.write_audit(council_id, actor, "cost.set", detail))
    return len(changes)


async def remove_cost(store: Reader, council_id: str, actor: str, service: int | None, channel: str) -> None:
    """Remove one of the council's costs (the published default applies again)."""
    code = EVERY_SERVICE if service is None else service
    async with store.unit_of_work() as uow:
        if not await uow.fetch(q.delete_cost(council_id, code, channel)):
            raise NotFound(f"the council has set no cost of {channel} for {_service_words(service)}")
        detail = f"unit cost of {channel} for {_service_words(service)} removed: the default applies"
        await uow.execute(qc.write_audit(council_id, actor, "cost.remove", detail))


async def service_known(store: Reader, council_id: str, lgsl: int) -> bool:
    """A loaded service, or one the council's records name."""
    return bool(await store.fetch(q.service_known(council_id, lgsl)))


async def council_costs(store: Reader, council_id: str) -> list[q.UnitCostRow]:
    return await store.fetch_as(q.UnitCostRow, q.council_costs(council_id))
