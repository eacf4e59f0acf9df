#!/usr/bin/env bash
# Regenerate the single initial migration from models/ (allowed until the first release).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f alembic/versions/*_initial_schema.py
HOMEWARD_DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/alembic revision --autogenerate \
  --rev-id 0001 -m "initial schema" >/dev/null 2>&1
f=$(ls alembic/versions/*_initial_schema.py)
sed -i 's/models\.base\.UTCDateTime()/sa.DateTime()/g; /^import models/d' "$f"
HOMEWARD_DATABASE_URL="sqlite:///$tmp/check.db" .venv/bin/alembic upgrade head >/dev/null 2>&1
HOMEWARD_DATABASE_URL="sqlite:///$tmp/check.db" .venv/bin/alembic check >/dev/null 2>&1
rm -rf "$tmp"
echo "regenerated $f"
