"""``ppj bench sync-store``: the tablet store's tap-to-stored latency and what encryption costs.

Two stores side by side in the same directory, identical but for the row codec: AES-256-GCM (the real
one, ``LocalStore.create``) and a plaintext codec defined here for comparison only. Both use the same
layout (pulled pages in entry blocks, captures per row), so the difference is the cost of sealing, not of
the layout. Measured, alternating
between the two so drift on a shared machine hits both alike:

* tap-save-to-stored: ``new_stamp`` + ``capture`` of one entry, one durable transaction (fsync), as the UI
  does on "save"; p50 and p99 per store;
* bulk write: pulled entries stored in pages of ``--page`` per transaction (entries/s);
* read: a whole journal read back and decrypted, block by block (entries/s);
* unlock: Argon2id key derivation with the default parameters plus unwrap, once.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID, uuid4

import typer

from ppj.bench import app, conditions, median, percentile
from sync.crypto import KdfParams
from sync.journal_adapter import EntryEnvelope, Stamp
from sync.store import LocalStore

DEVICE_SECRET = b"bench-device-secret-0123456789abcdef"
TARGET_OVERHEAD_PCT = 15.0


class PlaintextCodec:
    """Stores rows as they are. For this comparison only; the app never opens a store without a key."""

    def seal(self, *, aad: bytes, plaintext: bytes) -> bytes:
        return plaintext

    def open(self, *, aad: bytes, sealed: bytes) -> bytes:
        return sealed

    def open_rows(self, *, table: str, rows: Iterable[tuple[str, bytes]]) -> list[bytes]:
        return [sealed for _, sealed in rows]


def _content(entry_id: UUID, journal_id: UUID, size: int) -> bytes:
    text = ("RR 18, SpO2 96 %, BT 132/80, puls 88, GCS 15. " * (size // 40 + 1))[:size]
    payload = {
        "entry_id": str(entry_id),
        "journal_id": str(journal_id),
        "kind": "note",
        "payload": {"text": text},
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def _entry(journal_id: UUID, size: int, hlc: str) -> EntryEnvelope:
    entry_id = uuid4()
    return EntryEnvelope.of(
        entry_id=entry_id, journal_id=journal_id, hlc=hlc, content=_content(entry_id, journal_id, size)
    )


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _overhead(encrypted: float, plain: float) -> float:
    """Extra cost of the encrypted store in percent, from times (seconds or ms) of the same work."""
    return (encrypted - plain) / plain * 100


@app.command("sync-store")
def bench_sync_store(
    taps: int = typer.Option(500, help="Single-entry saves timed per store."),
    bulk: int = typer.Option(5000, help="Entries in the bulk write and read."),
    page: int = typer.Option(100, help="Entries per transaction in the bulk write."),
    reads: int = typer.Option(15, help="Rounds of reading the bulk journal back (median reported)."),
    size: int = typer.Option(600, help="Bytes of entry content (canonical JSON)."),
    directory: Path | None = typer.Option(
        None, "--dir", help="Where the store files go (default: a temp dir)."
    ),
) -> None:
    """Tap-save-to-stored latency (p50/p99) and the cost of encryption, with the conditions printed."""
    with tempfile.TemporaryDirectory(prefix="ppj-bench-", dir=directory) as tmp:
        root = Path(tmp)
        unlock_start = time.perf_counter()
        encrypted = LocalStore.create(
            path=root / "encrypted.ppjstore",
            device_id=uuid4(),
            user_id="bench",
            secret="2468",
            device_secret=DEVICE_SECRET,
        )
        create_s = time.perf_counter() - unlock_start
        encrypted.close()
        unlock_start = time.perf_counter()
        encrypted = LocalStore.unlock(
            path=root / "encrypted.ppjstore", user_id="bench", secret="2468", device_secret=DEVICE_SECRET
        )
        unlock_s = time.perf_counter() - unlock_start
        plain = LocalStore.create_with_codec(
            path=root / "plain.ppjstore", device_id=uuid4(), codec=PlaintextCodec()
        )
        stores = {"encrypted": encrypted, "plain": plain}
        journal = uuid4()

        tap_ms: dict[str, list[float]] = {name: [] for name in stores}
        for n in range(taps + 20):
            for name, store in stores.items():
                start = time.perf_counter()
                store.capture(envelope=_entry(journal, size, store.new_stamp()))
                elapsed = (time.perf_counter() - start) * 1000
                if n >= 20:  # the first saves warm caches and the WAL
                    tap_ms[name].append(elapsed)

        # Bulk write: page by page, alternating stores; read: whole journal, alternating, median of rounds.
        pulled_journal = uuid4()
        entries = [
            _entry(pulled_journal, size, Stamp(1_795_000_000_000 + i, 0, "other").encode())
            for i in range(bulk)
        ]
        write_s = dict.fromkeys(stores, 0.0)
        write_cpu = dict.fromkeys(stores, 0.0)
        for start in range(0, bulk, page):
            for name, store in stores.items():
                began, began_cpu = time.perf_counter(), time.process_time()
                store.store_pulled(
                    journal_id=pulled_journal,
                    entries=entries[start : start + page],
                    next_cursor=str(start),
                    watermark=str(start),
                )
                write_s[name] += time.perf_counter() - began
                write_cpu[name] += time.process_time() - began_cpu
        read_rounds: dict[str, list[float]] = {name: [] for name in stores}
        read_cpu_rounds: dict[str, list[float]] = {name: [] for name in stores}
        for _ in range(reads):
            for name, store in stores.items():
                began, began_cpu = time.perf_counter(), time.process_time()
                store.journal_entries(pulled_journal)
                read_rounds[name].append(time.perf_counter() - began)
                read_cpu_rounds[name].append(time.process_time() - began_cpu)
        read_s = {name: median(rounds) for name, rounds in read_rounds.items()}
        read_cpu = {name: median(rounds) for name, rounds in read_cpu_rounds.items()}

        sqlite_conditions = _sqlite_conditions(root / "plain.ppjstore")
        for store in stores.values():
            store.close()

    kdf = KdfParams()
    print(f"conditions: {conditions()}; sqlite {sqlite3.sqlite_version}; {sqlite_conditions}")
    where = directory or tempfile.gettempdir()
    print(f"  store files in {where}; entry content {size} B; page {page} entries/txn")
    print(
        f"  key derivation: Argon2id t={kdf.time_cost} m={kdf.memory_kib} KiB p={kdf.parallelism}"
        " + HKDF-SHA256; "
        f"create {create_s * 1000:.0f} ms, unlock {unlock_s * 1000:.0f} ms"
    )
    print(f"tap-save-to-stored ({taps} saves, one durable transaction each):")
    for name, samples in tap_ms.items():
        print(f"  {name:9s} p50 {median(samples):7.3f} ms   p99 {percentile(samples, 99):7.3f} ms")
    p50_over = _overhead(median(tap_ms["encrypted"]), median(tap_ms["plain"]))
    print(f"  encryption overhead at p50: {p50_over:+.1f} %")
    print(f"bulk ({bulk} entries; read: median of {reads} rounds):")
    for name in stores:
        write_rate, read_rate = _rate(bulk, write_s[name]), _rate(bulk, read_s[name])
        print(f"  {name:9s} write {write_rate:9.0f} entries/s   read {read_rate:9.0f} entries/s")
    w_over = _overhead(write_s["encrypted"], write_s["plain"])
    r_over = _overhead(read_s["encrypted"], read_s["plain"])
    print(f"  encryption overhead (wall time per entry): write {w_over:+.1f} %, read {r_over:+.1f} %")
    cpu_w = _overhead(write_cpu["encrypted"], write_cpu["plain"])
    cpu_r = _overhead(read_cpu["encrypted"], read_cpu["plain"])
    per_entry_us = (read_cpu["encrypted"] - read_cpu["plain"]) / bulk * 1e6
    print(
        f"  encryption overhead (CPU time of this process, less disturbed by other load):"
        f" write {cpu_w:+.1f} %,"
        f" read {cpu_r:+.1f} % ({per_entry_us:+.1f} µs per entry read)"
    )
    worst = max(p50_over, cpu_w, cpu_r)
    verdict = "within" if worst <= TARGET_OVERHEAD_PCT else "OVER"
    print(
        f"target: encryption overhead <= {TARGET_OVERHEAD_PCT:.0f} % (tap p50, bulk CPU); "
        f"worst {worst:+.1f} % ({verdict})"
    )


def _sqlite_conditions(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    return f"journal_mode={mode}, synchronous=FULL, page_size={page_size}"
