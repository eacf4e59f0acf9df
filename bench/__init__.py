"""The performance harness: ``python -m bench`` (full) and ``python -m bench --quick``.

It generates the synthetic ICS and England systems (cached under ``bench/cache/``), loads them
through the real ingest path into SQLite and PostgreSQL, measures ingest, the metrics API, a
concurrent load, the dashboard pages and a plain pandas baseline, then writes
``bench/results/latest.json`` and regenerates ``docs/performance.md``.
"""
