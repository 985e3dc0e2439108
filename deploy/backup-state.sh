#!/usr/bin/env bash
# Backs up what a scheduled crawl cannot rebuild: the crawl state (which articles were
# delivered, their versions, the learned templates) and the job histories (health baselines,
# latest.json). Safe while a crawl runs: SQLite's backup API copies a consistent state.
#   deploy/backup-state.sh [DATA_DIR] [BACKUP_DIR]   (defaults: data, backups)
# Restore: stop the timer, copy state-<stamp>.sqlite to data/state.sqlite, untar the jobs.
set -euo pipefail
data="${1:-data}"
target="${2:-backups}"
python="${PYTHON:-$(dirname "$0")/../.venv/bin/python}"
[ -x "$python" ] || python=python3
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target"
if [ -f "$data/state.sqlite" ]; then
  "$python" - "$data/state.sqlite" "$target/state-$stamp.sqlite" <<'PY'
import sqlite3
import sys

source, copy = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
with copy:
    source.backup(copy)
copy.close()
source.close()
PY
fi
if [ -d "$data/jobs" ]; then
  tar -czf "$target/jobs-$stamp.tar.gz" -C "$data" jobs
fi
# Keep the last 14 backups of each kind.
for kind in state jobs; do
  ls -1t "$target/$kind-"* 2>/dev/null | tail -n +15 | xargs -r rm --
done
echo "$target/state-$stamp.sqlite"
