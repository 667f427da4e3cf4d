"""Drafts: what a person has typed but not yet saved survives a crash or a kill.

View-models write their unsaved input through an injected ``DraftStore`` after every change and delete
the draft when the value is saved. The tablet's encrypted local store (``sync``) provides the real one
(its ``drafts`` table: ``draft_id``, ``journal_id``, sealed body); ``PlainFileDraftStore`` serves this
wave's app until that is wired (see its docstring) and ``InMemoryDraftStoreForTests`` serves tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Protocol


class DraftStore(Protocol):
    def put(self, draft_id: str, body: str, *, journal_id: str | None = None) -> None:
        """Store (replace) the draft ``draft_id``; durable when this returns."""

    def get(self, draft_id: str) -> str | None:
        """The draft's body, or None if there is none."""

    def delete(self, draft_id: str) -> None:
        """Forget the draft (no error if there is none)."""


class InMemoryDraftStoreForTests:
    """A dict. Loses everything with the process: for tests only, never for the app."""

    def __init__(self) -> None:
        self.bodies: dict[str, str] = {}
        self.journal_ids: dict[str, str | None] = {}

    def put(self, draft_id: str, body: str, *, journal_id: str | None = None) -> None:
        self.bodies[draft_id] = body
        self.journal_ids[draft_id] = journal_id

    def get(self, draft_id: str) -> str | None:
        return self.bodies.get(draft_id)

    def delete(self, draft_id: str) -> None:
        self.bodies.pop(draft_id, None)
        self.journal_ids.pop(draft_id, None)


class PlainFileDraftStore:
    """One file per draft in a private directory, replaced atomically (write, fsync, rename).

    NOT ENCRYPTED. Wave 1 has no patient screens, so no patient data is typed into a draft; wave 2 must
    replace this with the encrypted store's draft table before any patient field uses drafts
    (hazard log H-TAB-5).
    """

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, draft_id: str) -> Path:
        # Hash the id: draft ids may contain characters that are not valid in file names.
        return self._dir / (hashlib.sha256(draft_id.encode()).hexdigest() + ".draft")

    def put(self, draft_id: str, body: str, *, journal_id: str | None = None) -> None:
        path = self._path(draft_id)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def get(self, draft_id: str) -> str | None:
        try:
            return self._path(draft_id).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def delete(self, draft_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(draft_id).unlink()
