"""The clinical record model: pure Python, no I/O (ARCHITECTURE §2–§3).

* ``journal.entry`` — the entry envelope (``Entry``, ``Author``, ``ClinicalTime``), parsing from the wire
  (``entry_from_json``/``entry_from_dict``) and ``new_entry``; content hash for sync idempotency.
* ``journal.kinds`` — one payload model per (kind, version), registered in ``journal.payload``'s registry;
  each kind says whether it is a single-valued fact, a multi-valued item, or an amendment.
* ``journal.hlc`` — the hybrid logical clock; ``journal.ids`` — device-made UUIDv7 ids.
* ``journal.cpr`` — CPR rules and the patient identifier systems (incl. PPJ's unknown-patient system).
* ``journal.fold`` — ``fold(entries) -> JournalState`` and ``fold_linked`` (journals joined by same-patient
  links); ``journal.state`` — what the fold returns (facts, conflicts, struck history, timeline, signing).
* ``journal.writer`` — ``JournalWriter``: how a device makes entries (stamps, corrections, resolutions).
* ``journal.derived`` — the scores derived from a state (``derive(state)``, ``state.derived``): NEWS2 and TOKS
  per vital set, GCS, PASS, with the journal's recorded table versions; ``scores_text`` for handovers.
* ``journal.completeness`` (signing checklist), ``journal.intervals`` (time intervals),
  ``journal.handover`` (ISBAR and ATMIST text).
* ``journal.errors`` — the exception hierarchy. ``journal.demo`` — demo scenarios as data.
* ``journal.scores`` — derived scores and their versioned tables (a separate module).
"""
