"""Councils and their access: creating a council, its API tokens, checking a token, auditing.

Used by the HTTP app (each ``/api/councils/{id}/...`` request) and the CLI (``insight council``).
Every change is one unit of work that also writes its audit record, so a change without its
audit record cannot happen.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass

from core import tokens
from core.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from core.store import Reader
from core.store.queries import councils as q

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
_DISTRICT = re.compile(r"^[EW]0[6789]\d{6}$")
CLI_ACTOR = "cli"


@dataclass(frozen=True)
class District:
    code: str
    name: str | None


@dataclass(frozen=True)
class Council:
    council_id: str
    name: str
    districts: tuple[District, ...]

    @property
    def district_codes(self) -> list[str]:
        return [d.code for d in self.districts]


@dataclass(frozen=True)
class Caller:
    """Who is asking: the council a valid token belongs to and the token's id."""

    council: Council
    token_id: str

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}"


def slug(name: str) -> str:
    """A council id from its name: ``"Trafford Council"`` → ``"trafford-council"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


async def create_council(
    store: Reader, name: str, districts: list[str], council_id: str | None = None
) -> tuple[Council, str]:
    """Create a council covering ``districts`` (LAD codes) and its first token.

    Returns
    -------
    tuple
        The council and its API token (shown once: only a hash is stored).
    """
    name = name.strip()
    council_id = council_id or slug(name)
    if not name or not _SLUG.match(council_id):
        raise BadRequest(f"council id {council_id!r}: use letters, digits, '-' or '_' (at most 64)")
    codes = sorted({d.strip().upper() for d in districts})
    if not codes:
        raise BadRequest("a council covers at least one local authority district (--area E08000009)")
    malformed = [c for c in codes if not _DISTRICT.match(c)]
    if malformed:
        raise BadRequest(
            f"not local authority district codes (E06/E07/E08/E09/W06...): {', '.join(malformed)}"
        )
    known = {r["code"] for r in await store.fetch(q.districts_known(codes))}
    if missing := [c for c in codes if c not in known]:
        raise NotFound(f"districts not loaded: {', '.join(missing)} (load their boundaries first)")
    if await store.fetch(q.council(council_id)) or await store.fetch(q.council_by_name(name)):
        raise Conflict(f"a council {council_id!r} or named {name!r} exists already")
    new = tokens.new_token()
    async with store.unit_of_work() as uow:
        await uow.execute(q.create_council(council_id, name))
        for code in codes:
            await uow.execute(q.add_district(council_id, code))
        await uow.execute(q.add_token(council_id, new.token_id, new.secret_hash))
        detail = f"created with districts {', '.join(codes)}; token {new.token_id} issued"
        await uow.execute(q.write_audit(council_id, CLI_ACTOR, "council.create", detail))
    return await council(store, council_id), new.token


async def council(store: Reader, council_id: str) -> Council:
    """A council with its districts; :class:`NotFound` if there is none of that id."""
    rows = await store.fetch_as(q.CouncilRow, q.council(council_id))
    if not rows:
        raise NotFound(f"no council {council_id!r}")
    districts = await store.fetch_as(q.DistrictRow, q.districts(council_id))
    return Council(
        rows[0].council_id, rows[0].name, tuple(District(d.district_code, d.name) for d in districts)
    )


async def councils(store: Reader) -> list[Council]:
    return [await council(store, row.council_id) for row in await store.fetch_as(q.CouncilRow, q.councils())]


async def rotate_token(store: Reader, council_id: str, actor: str = CLI_ACTOR) -> str:
    """Revoke every token of a council and issue a new one (returned once)."""
    await council(store, council_id)
    new = tokens.new_token()
    async with store.unit_of_work() as uow:
        revoked = [r["token_id"] for r in await uow.fetch(q.revoke_tokens(council_id))]
        await uow.execute(q.add_token(council_id, new.token_id, new.secret_hash))
        detail = f"token {new.token_id} issued; revoked {', '.join(revoked) or 'none'}"
        await uow.execute(q.write_audit(council_id, actor, "token.rotate", detail))
    return new.token


async def revoke_tokens(store: Reader, council_id: str, actor: str = CLI_ACTOR) -> list[str]:
    """Revoke every token of a council (it keeps its data; ``rotate`` issues a new token)."""
    await council(store, council_id)
    async with store.unit_of_work() as uow:
        revoked = [r["token_id"] for r in await uow.fetch(q.revoke_tokens(council_id))]
        detail = f"revoked {', '.join(revoked) or 'none'}"
        await uow.execute(q.write_audit(council_id, actor, "token.revoke", detail))
    return revoked


# scrypt is deliberately slow: remember which (token id, secret) pairs matched which stored hash,
# so a valid token costs one hash per process. The row is still read on every request, so a
# revocation or rotation takes effect at once.
_VERIFIED: dict[str, str] = {}
_VERIFIED_MAX = 1024


async def _secret_matches(secret: str, token_id: str, stored: str) -> bool:
    key = hashlib.sha256(f"{token_id}:{secret}".encode()).hexdigest()
    if _VERIFIED.get(key) == stored:
        return True
    if not await asyncio.to_thread(tokens.verify, secret, stored):
        return False
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = stored
    return True


async def authenticate(store: Reader, authorization: str | None, council_id: str) -> Caller:
    """The caller behind an ``Authorization: Bearer <token>`` header, allowed into ``council_id``.

    Raises
    ------
    Unauthorized
        No header, not a bearer token, an unknown, wrong or revoked token (401).
    Forbidden
        A valid token of another council (403).
    """
    if not authorization:
        raise Unauthorized("this route needs a council token: send 'Authorization: Bearer <token>'")
    scheme, _, value = authorization.partition(" ")
    parsed = tokens.parse(value) if scheme.lower() == "bearer" else None
    if parsed is None:
        raise Unauthorized("malformed credentials: send 'Authorization: Bearer ci_<id>_<secret>'")
    token_id, secret = parsed
    rows = await store.fetch_as(q.TokenRow, q.token(token_id))
    if not rows or not await _secret_matches(secret, token_id, rows[0].secret_hash):
        raise Unauthorized("unknown or wrong token")
    row = rows[0]
    if row.revoked_at is not None:
        raise Unauthorized("this token was revoked; ask for a new one (insight council token rotate)")
    if row.council_id != council_id:
        raise Forbidden(f"this token belongs to another council, not to {council_id!r}")
    return Caller(await council(store, council_id), token_id)


async def record(
    store: Reader, caller: Caller, action: str, detail: str, row_count: int | None = None
) -> None:
    """Append an audit record for something a caller did (its own unit of work)."""
    async with store.unit_of_work() as uow:
        await uow.execute(q.write_audit(caller.council.council_id, caller.actor, action, detail, row_count))


async def audit_trail(
    store: Reader, council_id: str, limit: int, offset: int
) -> tuple[list[q.AuditRow], int]:
    """A council's audit records, newest first, and how many there are."""
    rows = await store.fetch_as(q.AuditRow, q.audit(council_id, limit, offset))
    total = int(await store.fetchval(q.audit_count(council_id)) or 0)
    return rows, total
