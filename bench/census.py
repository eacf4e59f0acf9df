"""The census worker: loads batches through ``load_batch`` on request, one process per store.

``python -m bench.census URL`` reads one JSON request per line on stdin
(``{"feed": "patients", "path": "…"}``) and answers one JSON line on stdout: wall and CPU
seconds of ``load_batch``, rows, and the process's resident memory before and at its peak.
A separate process keeps the peak memory of a load apart from the harness's own.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def rss_mb() -> float:
    """The process's resident set size now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """The process's peak resident set size since it started, in MB.

    ``VmHWM``, not ``getrusage().ru_maxrss``: Linux carries ``ru_maxrss`` over from the parent
    across fork and exec, so a worker started by a large harness would report the harness's
    peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    url = sys.argv[1]
    os.environ["HOMEWARD_DATABASE_URL"] = url
    os.environ["HOMEWARD_RUN_SCHEDULER"] = "false"
    from app.core.db import get_engine, reset_caches
    from ingest.loader import load_batch

    reset_caches()
    engine = get_engine()
    print(json.dumps({"ready": True, "rss_mb": rss_mb()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        before = rss_mb()
        wall, cpu = time.perf_counter(), time.process_time()
        summary = load_batch(request["feed"], Path(request["path"]), fmt="csv", engine=engine)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        answer = {
            "status": summary.status,
            "rows": summary.rows_in,
            "quarantined": summary.rows_quarantined,
            "seconds": wall,
            "cpu_seconds": cpu,
            "rss_before_mb": before,
            "peak_rss_mb": peak_rss_mb(),
        }
        print(json.dumps(answer), flush=True)


class CensusWorker:
    """The harness's handle on a census worker process."""

    def __init__(self, url: str) -> None:
        import subprocess

        from bench.samples import ROOT

        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.census", url],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ready = self._answer()

    def _answer(self) -> dict[str, object]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the census worker stopped (exit {self.process.wait()})")
        return json.loads(line)  # type: ignore[no-any-return]

    def load(self, feed: str, path: Path) -> dict[str, object]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"feed": feed, "path": str(path)}) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


if __name__ == "__main__":
    main()
