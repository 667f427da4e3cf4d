"""Live change notifications for the ED board: "these journals changed", across server processes.

The ingest transaction calls ``announce_changed_journals`` (the one hook in ``server.sync.ingest``):

* on PostgreSQL it issues ``NOTIFY ppj_journals_changed`` with the journal ids only (never patient data:
  the payload is visible to every database session). PostgreSQL delivers it at commit and drops it on
  rollback, so a board never hears of an entry that is not committed, whichever process stored it.
* on SQLite (one process by design) the ids wait in the session and are published in-process after the
  commit, through the same ``ChangeHub``.

Each server process runs one ``ChangeHub``: on PostgreSQL a daemon thread holds one connection that
LISTENs and hands each notification to every subscriber's asyncio queue. Subscribers (the SSE streams)
then re-read what they may see through the access service, so the notification decides nothing.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

CHANNEL = "ppj_journals_changed"
_PENDING = "ppj_changed_journals"
# NOTIFY payloads are limited to 8000 bytes; 36-character ids joined by commas, 200 per notification.
_IDS_PER_NOTIFY = 200
# Built once and run on the session's connection (it reads no ORM state): a push sends one per commit.
_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


def announce_changed_journals(*, session: Session, journal_ids: Iterable[uuid.UUID]) -> None:
    """Tell every server process, once this transaction commits, that ``journal_ids`` changed."""
    ids = sorted({str(j) for j in journal_ids})
    if not ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        for start in range(0, len(ids), _IDS_PER_NOTIFY):
            payload = ",".join(ids[start : start + _IDS_PER_NOTIFY])
            session.connection().execute(_NOTIFY, {"channel": CHANNEL, "payload": payload})
        return
    pending: set[str] = session.info.setdefault(_PENDING, set())
    if not pending:
        event.listen(session, "after_commit", _publish_in_process, once=True)
        event.listen(session, "after_rollback", _forget_pending, once=True)
    pending.update(ids)


def _publish_in_process(session: Session) -> None:
    ids = session.info.pop(_PENDING, set())
    for hub in list(_LOCAL_HUBS):
        hub.publish(frozenset(uuid.UUID(i) for i in ids))


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


_LOCAL_HUBS: set[ChangeHub] = set()


@dataclass(eq=False)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[frozenset[uuid.UUID]]


@dataclass(eq=False)
class ChangeHub:
    """One per server process: fans changed-journal notifications out to subscribed SSE streams."""

    engine: Engine
    _subscribers: set[_Subscriber] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    listening: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        if self.engine.dialect.name == "postgresql":
            self._thread = threading.Thread(target=self._listen, name="ppj-board-listen", daemon=True)
            self._thread.start()
        else:
            _LOCAL_HUBS.add(self)
            self.listening.set()

    def stop(self) -> None:
        _LOCAL_HUBS.discard(self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def subscribe(self) -> asyncio.Queue[frozenset[uuid.UUID]]:
        """A queue of changed-journal sets for the calling event loop's task (an SSE stream)."""
        subscriber = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(maxsize=100))
        with self._lock:
            self._subscribers.add(subscriber)
        return subscriber.queue

    def unsubscribe(self, queue: asyncio.Queue[frozenset[uuid.UUID]]) -> None:
        with self._lock:
            self._subscribers = {s for s in self._subscribers if s.queue is not queue}

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def publish(self, journal_ids: frozenset[uuid.UUID]) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.loop.call_soon_threadsafe(_offer, subscriber.queue, journal_ids)

    def _listen(self) -> None:
        url = make_url(self.engine.url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.publish(frozenset(uuid.UUID(i) for i in note.payload.split(",") if i))
            except psycopg.OperationalError:
                # The database went away: boards miss nothing they cannot re-read; reconnect shortly.
                self.listening.clear()
                self._stop.wait(1.0)


def _offer(queue: asyncio.Queue[frozenset[uuid.UUID]], journal_ids: frozenset[uuid.UUID]) -> None:
    if queue.full():
        # A slow board: drop the oldest; every event only means "re-read", so the newest suffices.
        queue.get_nowait()
    queue.put_nowait(journal_ids)
