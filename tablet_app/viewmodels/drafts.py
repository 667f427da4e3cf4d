"""Drafts: what a person has typed but not yet saved survives a crash or a kill.

View-models write their unsaved input through an injected ``DraftStore`` after every change and delete
the draft when the value is saved. The app uses the encrypted local store's ``drafts`` table
(``sync.store.StoreDrafts``: sealed like entries, so a stolen tablet shows no typed value — hazard
H-TAB-5); ``InMemoryDraftStoreForTests`` serves tests. Drafts exist only after log-in (the store is
locked before), which is where patient data can be typed.
"""

from __future__ import annotations

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
