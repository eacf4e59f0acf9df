"""The domain rules the read side (``app.metrics``) and the write side (``ingest``) share:
day boundaries, the spell-day rules, delay bands and the 17:00 cut-off, the vocabularies, the
reason catalogue, NHS number checks. Pure or SQL-expression builders; no I/O but reading the
shipped reference files."""
