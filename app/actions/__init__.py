"""Meeting mode's store and rules: actions (DESIGN.md §4.13).

``app.actions.store`` creates, changes, closes, logs and lists actions and keeps every change;
``app.actions.schemas`` is the contract (pydantic models, the list filter, the actor);
``app.actions.rules`` the rules that need no store (no patient identifiers, overdue).
It sits in the middle layer beside ``app.metrics``, ``ingest`` and ``app.security``.
"""
