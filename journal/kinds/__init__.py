"""Entry kinds: one payload model per (kind, version), registered in ``journal.payload``'s registry.

Importing this package registers every kind. Which kinds are single-valued facts (one current value per
fact key; concurrent values are a conflict) and which are multi-valued (each entry an item of its own) is each
class's ``CARDINALITY``:

* single: mission_assignment, patient_identity, chief_complaint, history, mechanism_injuries,
  spo2_scale_decision, triage, destination, transport_urgency, disposition, score_table_versions, and
  timestamp (one fact per event, per unit for unit movements).
* multi: crew_sign_on, same_patient_link, vital_signs, consciousness, assessment, stroke_scale, attachment,
  medication, procedure, cardiac_arrest_event, consultation, refusal_capacity, handover, note, signature.
* amendment: correction, retraction.
"""

from journal.kinds import disposition, mission, observations, patient, record, treatment

__all__ = ["disposition", "mission", "observations", "patient", "record", "treatment"]
