#!/usr/bin/env bash
# Regenerate the single initial migration from models/ (allowed until the first release).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f alembic/versions/*_initial_schema.py
# Later migrations (0002 security, …) stay as they are: set them aside while 0001 is generated
# from the tables that carry no later revision in their info (see alembic/env.py).
mkdir "$tmp/later"
find alembic/versions -maxdepth 1 -name '*.py' -exec mv {} "$tmp/later/" \;
HOMEWARD_DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/alembic -x revision=0001 revision \
  --autogenerate --rev-id 0001 -m "initial schema" >/dev/null 2>&1 || {
  mv "$tmp"/later/*.py alembic/versions/ 2>/dev/null || true
  echo "autogenerate failed" >&2
  exit 1
}
mv "$tmp"/later/*.py alembic/versions/ 2>/dev/null || true
f=$(ls alembic/versions/*_initial_schema.py)
sed -i 's/models\.base\.UTCDateTime()/sa.DateTime()/g; /^import models/d' "$f"
HOMEWARD_DATABASE_URL="sqlite:///$tmp/check.db" .venv/bin/alembic upgrade head >/dev/null 2>&1
HOMEWARD_DATABASE_URL="sqlite:///$tmp/check.db" .venv/bin/alembic check >/dev/null 2>&1
rm -rf "$tmp"
echo "regenerated $f"
