"""The patients census: apply a batch of the patients feed to the store — spells, their
history, their bed days.

``apply_patient_batch`` is called by the loader inside the batch's one transaction, with the
rows that passed the contract. It registers the sites, wards and councils the rows name
(``ingest.registry``) and keeps ``spells``, ``spell_states``, ``spell_events``,
``spell_day_statuses``, ``spell_days`` and ``patient_censuses`` (see ``models/spells.py``)
in step. It never commits. How DESIGN.md §3 and §4 are read here is written beside the code
that does it (the per-day rules themselves are in ``app/domain/spell_day_rules.py``):

- ``load``: the batch and its censuses, oldest first; the incremental (fast) path;
- ``history``: the states a census observes, where they slot in, their events; day statuses;
- ``discharges``: inferred discharges and discharge rows;
- ``checks``: the cross-row problems a census quarantines or notes;
- ``reads`` and ``writes``: what a census reads from and writes to the store, in bulk;
- ``records``: the rows it works on, by name; ``batch``: what a batch carries and returns.
"""

from ingest.census.batch import PatientBatchResult, Quarantined
from ingest.census.load import apply_patient_batch

__all__ = ["PatientBatchResult", "Quarantined", "apply_patient_batch"]
