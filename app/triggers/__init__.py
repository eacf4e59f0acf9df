"""Triggers, notices and the chase (docs/meetings.md "Triggers and notices").

Configured rules (``triggers.toml``, with a local file merged over it) are evaluated by a
scheduler job; each firing is an event, recorded once by its key, which sends a notice on each
of its channels (e-mail through SMTP, webhooks) through apprise and may raise an action for
an owning organisation. A daily job chases the overdue actions at their organisation's
contacts.

Where it sits: beside the faces (``app.api``, ``dashboards``) — notices are one more way the
numbers reach people. It reads the metrics (``app.metrics``) and writes actions through their
store (``app.actions``), which ``ingest`` may not import; its jobs reach the scheduler the way
the demo's simulator does, as ``ExtraJob``\\ s the entry points hand to ``ingest.scheduler``.
"""
