"""The access policy: who may do what with which journal, and when. Framework- and database-free.

Every route asks this module; nothing else decides access. Rules (ARCHITECTURE §5, Sundhedsloven §42a:
look-ups only for current treatment):

- crew (ambulanceassistent, ambulancebehandler, paramediciner, physician) see and write the journals of
  missions assigned to a unit they were signed on to during the episode, from the mission until the end of
  the episode plus the documentation window; a unit the dispatch centre removes from the mission keeps
  only the journals it wrote in (what it wrote stays, and its crew can finish documenting it);
- ED staff see the patients announced (destination or pre-alert) or handed over to an emergency department
  of their own hospital, until the ED window after the later of announcement and handover; they write
  no clinical entries, only the receipt confirmation (``service.confirm_receipt``, capability
  ``confirm_receipt``) for a patient they may see;
- integrators see sandbox journals only, and only sandbox journals;
- administrators manage accounts, devices and organisations and read no journal;
- dispatchers and dispatch systems create, update and cancel missions (``server.dispatch``) and read
  no journal.

Sandbox journals are visible to integrators only: real crews never see test data and vice versa.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from server.identity.models import CREW_ROLES, Role


class Action(StrEnum):
    """What is done with patient data; every value is an audited action."""

    read = "read"
    list = "list"
    export = "export"
    write = "write"


class Capability(StrEnum):
    """Things that are not journal access but still decided here."""

    manage_accounts = "manage_accounts"  # people, devices, organisations (admin page, admin CLI)
    sign_on_unit = "sign_on_unit"
    view_board = "view_board"
    dispatch_missions = "dispatch_missions"  # create, update and cancel missions (server.dispatch)
    confirm_receipt = "confirm_receipt"  # ED staff: "patient received" (a handover entry on the journal)
    use_journal_api = "use_journal_api"
    resolve_quarantine = "resolve_quarantine"  # the sync quarantine (metadata only, no entry content)


CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.manage_accounts: frozenset({Role.administrator}),
    Capability.sign_on_unit: CREW_ROLES,
    Capability.view_board: frozenset({Role.ed_staff}),
    Capability.confirm_receipt: frozenset({Role.ed_staff}),
    Capability.dispatch_missions: frozenset({Role.dispatcher, Role.dispatch_system}),
    Capability.use_journal_api: CREW_ROLES | {Role.integrator, Role.ed_staff},
    Capability.resolve_quarantine: frozenset({Role.administrator}),
}


@dataclass(frozen=True)
class Actor:
    person_id: uuid.UUID
    role: Role
    organisation_id: uuid.UUID | None  # ED staff: their hospital


@dataclass(frozen=True)
class Shift:
    unit_id: uuid.UUID
    started_at: dt.datetime
    ended_at: dt.datetime | None


@dataclass(frozen=True)
class UnitAssignment:
    unit_id: uuid.UUID
    assigned_at: dt.datetime
    # Removed from the mission by a dispatch update and wrote nothing in this journal: no access.
    removed: bool = False


@dataclass(frozen=True)
class EdRelation:
    """An announcement or handover, resolved to the hospital that owns the emergency department."""

    hospital_id: uuid.UUID
    at: dt.datetime
    handover: bool


@dataclass(frozen=True)
class JournalFacts:
    journal_id: uuid.UUID
    sandbox: bool
    opened_at: dt.datetime
    episode_ended_at: dt.datetime | None
    units: tuple[UnitAssignment, ...]
    # None when not loaded: only ED staff's decisions read them (``reads_ed_relations``).
    ed_relations: tuple[EdRelation, ...] | None


@dataclass(frozen=True)
class Windows:
    documentation: dt.timedelta
    emergency_department: dt.timedelta


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def reads_ed_relations(actor: Actor) -> bool:
    """Whether ``decide`` reads the journals' ED relations for this actor (so the facts need them)."""
    return actor.role is Role.ed_staff


def has_capability(actor: Actor, capability: Capability) -> bool:
    return actor.role in CAPABILITIES[capability]


def decide(
    *,
    actor: Actor,
    action: Action,
    journal: JournalFacts,
    shifts: Iterable[Shift],
    windows: Windows,
    now: dt.datetime,
) -> Decision:
    """Whether ``actor`` may do ``action`` on ``journal`` at ``now``; the reason names the rule."""
    if actor.role is Role.integrator:
        if journal.sandbox and action is not Action.write:
            return Decision(True, "integrator: sandbox journal")
        return Decision(False, "integrator: sandbox read access only")
    if journal.sandbox:
        return Decision(False, "sandbox journals are for integrators only")
    if actor.role in CREW_ROLES:
        return _crew_decision(journal=journal, shifts=shifts, window=windows.documentation, now=now)
    if actor.role is Role.ed_staff:
        if action is Action.write:
            return Decision(False, "ED staff: no journal writes here")
        return _ed_decision(actor=actor, journal=journal, window=windows.emergency_department, now=now)
    return Decision(False, f"{actor.role.value}: reads no journals")


def _crew_decision(
    *, journal: JournalFacts, shifts: Iterable[Shift], window: dt.timedelta, now: dt.datetime
) -> Decision:
    if journal.episode_ended_at is not None and now > journal.episode_ended_at + window:
        return Decision(False, "crew: documentation window has closed")
    episode_end = journal.episode_ended_at or now
    assigned = {unit.unit_id: unit.assigned_at for unit in journal.units if not unit.removed}
    for shift in shifts:
        if shift.unit_id not in assigned:
            continue
        # The person was on the unit at some time between the unit's assignment and the episode's end.
        shift_end = shift.ended_at or now
        if shift.started_at <= episode_end and shift_end >= assigned[shift.unit_id]:
            return Decision(True, "crew: signed on to a unit of the mission during the episode")
    return Decision(False, "crew: not on a unit of this mission during the episode")


def _ed_decision(*, actor: Actor, journal: JournalFacts, window: dt.timedelta, now: dt.datetime) -> Decision:
    if journal.ed_relations is None:
        # A bug in the caller, never a refusal: a silent "no relations" would hide the patient from the ED.
        raise ValueError("ED relations were not loaded for an ED staff decision (see reads_ed_relations)")
    own = [
        rel
        for rel in journal.ed_relations
        if actor.organisation_id and rel.hospital_id == actor.organisation_id
    ]
    if not own:
        return Decision(False, "ED: patient not announced or handed over to this hospital")
    latest = max(rel.at for rel in own)
    if now > latest + window:
        return Decision(False, "ED: access window after announcement/handover has closed")
    return Decision(True, "ED: announced or handed over to this hospital")
