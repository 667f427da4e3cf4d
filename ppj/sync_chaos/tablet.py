"""The tablet worker process: ``python -m ppj.sync_chaos.tablet '<spec JSON>'``.

It opens its own encrypted sync store, writes ``entries`` note entries
with ``journal.entry.new_entry`` into its journals — stamped by the store's HLC from a wall clock skewed by
``skew_ms`` — and now and then runs one sync cycle with the real ``SyncClient`` through the fault proxy.
After each capture returns (the save is durable) it prints ``captured <entry_id>``: the harness counts
those as acknowledged saves that must never be lost. The harness may SIGKILL it at any point.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx2

from journal.entry import Author, AuthorisationLevel, ClinicalTime, Entry, Role, entry_from_dict, new_entry
from journal.hlc import Hlc
from journal.kinds.record import Note
from sync.client import SyncClient
from sync.crypto import KdfParams
from sync.errors import ProtocolError, SyncRefusedError, TransientSyncError
from sync.journal_adapter import EntryEnvelope
from sync.store import LocalStore

CHAOS_USER = "chaos-medic"
CHAOS_PIN = "2468"
DEVICE_SECRET = b"chaos-device-secret-0123456789abcdef"
# Argon2id at its cheapest: the harness tests sync, not resistance to guessing; rows are still sealed.
CHAOS_KDF = KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
HTTP_TIMEOUT_S = 2.0
AUTHOR = Author(  # the author for servers without people (the reference server)
    person_id="chaos-medic",
    name="Chaos Medic",
    role=Role.AMBULANCEBEHANDLER,
    authorisation_level=AuthorisationLevel.AUTHORISED,
)


@dataclass(frozen=True, slots=True)
class TabletSpec:
    store: str  # an existing store file (the harness creates it: installing the app is not sync)
    device_id: str
    base_url: str
    headers: dict[str, str]
    author: dict[str, str]  # the person logged in (``journal.entry.Author`` as JSON)
    unit: str  # the call sign of the tablet's unit
    journals: list[str]
    entries: int
    label: str
    seed: int
    skew_ms: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TabletSpec:
        return cls(**json.loads(text))


def open_store(*, path: Path, device_id: UUID, create: bool) -> LocalStore:
    if create:
        return LocalStore.create(
            path=path,
            device_id=device_id,
            user_id=CHAOS_USER,
            secret=CHAOS_PIN,
            device_secret=DEVICE_SECRET,
            kdf=CHAOS_KDF,
        )
    return LocalStore.unlock(path=path, user_id=CHAOS_USER, secret=CHAOS_PIN, device_secret=DEVICE_SECRET)


def skewed_clock(skew_ms: int) -> Callable[[], datetime]:
    skew = timedelta(milliseconds=skew_ms)
    return lambda: datetime.now(UTC) + skew


def http_client(*, base_url: str, headers: dict[str, str]) -> httpx2.Client:
    """Plain HTTP to the loopback proxy, carrying the device's credentials."""
    return httpx2.Client(base_url=base_url, headers=headers, timeout=HTTP_TIMEOUT_S)


def sync_client(*, store: LocalStore, http: httpx2.Client, skew_ms: int, rng: random.Random) -> SyncClient:
    """The real client with small batches and pages, so that one sync is many exchanges (more places for
    a fault to land)."""
    return SyncClient(
        store=store,
        http=http,
        wall_clock=skewed_clock(skew_ms),
        batch_entries=rng.choice([2, 5, 50]),
        pull_limit=rng.choice([3, 10, 500]),
    )


def envelope_of(entry: Entry) -> EntryEnvelope:
    """The sync envelope of a journal entry: the canonical JSON of everything but the HLC."""
    content = json.dumps(entry.content_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return EntryEnvelope.of(
        entry_id=entry.entry_id, journal_id=entry.journal_id, hlc=entry.hlc.encode(), content=content.encode()
    )


def entry_of(envelope: EntryEnvelope) -> Entry:
    """The journal entry in an envelope (validated), with the envelope's stamp. A server's re-stamp keeps
    the entry's writer (protocol §5; the real server and the reference server alike), so every stamp a
    server hands out folds as it is; one that did not would fail here, loudly."""
    return entry_from_dict({**json.loads(envelope.content), "hlc": envelope.hlc})


def write_entry(
    *, store: LocalStore, author: Author, unit: str, journal_id: UUID, text: str, skew_ms: int
) -> Entry:
    now = datetime.now(UTC) + timedelta(milliseconds=skew_ms)
    stamp = Hlc.parse(store.new_stamp(wall_ms=round(now.timestamp() * 1000)))
    entry = new_entry(
        journal_id=journal_id,
        payload=Note(text=text),
        author=author,
        device_id=store.writer_id,
        unit=unit,
        clinical_time=ClinicalTime(at=now, device_clock_offset_ms=round(store.offset_ms())),
        hlc=stamp,
    )
    store.capture(envelope=envelope_of(entry))
    return entry


def run(spec: TabletSpec) -> None:
    rng = random.Random(spec.seed)
    store = open_store(path=Path(spec.store), device_id=UUID(spec.device_id), create=False)
    http = http_client(base_url=spec.base_url, headers=spec.headers)
    client = sync_client(store=store, http=http, skew_ms=spec.skew_ms, rng=rng)
    journals = [UUID(j) for j in spec.journals]
    author = Author.model_validate(spec.author)
    for n in range(spec.entries):
        entry = write_entry(
            store=store,
            author=author,
            unit=spec.unit,
            journal_id=rng.choice(journals),
            text=f"{spec.label} #{n}",
            skew_ms=spec.skew_ms,
        )
        print(f"captured {entry.entry_id}", flush=True)
        time.sleep(rng.uniform(0.0, 0.05))
        if rng.random() < 0.35:
            try_sync(client)
    try_sync(client)
    print("done", flush=True)


def try_sync(client: SyncClient) -> bool:
    """One cycle; a transient failure or a refusal is printed and left to the next cycle."""
    try:
        client.sync_once()
    except (TransientSyncError, ProtocolError, SyncRefusedError) as exc:
        print(f"sync-failed {exc.__class__.__name__}: {exc}", flush=True)
        return False
    print("synced", flush=True)
    return True


if __name__ == "__main__":
    run(TabletSpec.from_json(sys.argv[1]))
