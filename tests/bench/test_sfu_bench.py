"""``python -m bench.sfu`` runs end to end: the smallest configuration, as a subprocess.

It checks the shape of ``--json`` and that the SFU and the naive relay really delivered
packets; it never asserts speed (the bench prints figures, it does not pass or fail).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {
    "shape", "publishers", "subscribers", "seconds", "server_cpu_us_per_packet",
    "forwarded_pps", "loss_pct", "latency_p50_ms", "latency_p99_ms",
    "late_join_first_frame_ms", "server_peak_rss_mb", "naive_cpu_us_per_packet", "naive_ratio",
}


def test_the_smallest_run_forwards_packets_and_prints_one_object_per_shape() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.sfu", "--quick", "--json", "--viewers", "2",
         "--people", "2", "--seconds", "2", "--warmup", "0.5", "--naive-seconds", "1.5"],
        cwd=ROOT, capture_output=True, text=True, timeout=150, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    runs = json.loads(result.stdout)
    assert isinstance(runs, list)
    assert [run["shape"] for run in runs] == ["lecture", "meeting"]
    for run in runs:
        assert not REQUIRED - run.keys(), REQUIRED - run.keys()
        assert run["subscribers"] == 2 and run["seconds"] == 2
        assert run["publishers"] == (1 if run["shape"] == "lecture" else 2)
        for key in ("server_cpu_us_per_packet", "forwarded_pps", "server_peak_rss_mb",
                    "naive_cpu_us_per_packet", "naive_ratio", "late_join_first_frame_ms"):
            assert isinstance(run[key], int | float) and run[key] > 0, (key, run[key])
        assert run["packets_delivered"] > 0
        assert 0 <= run["loss_pct"] <= 100
        assert run["latency_p50_ms"] is not None and run["latency_p99_ms"] is not None
        assert run["latency_p50_ms"] <= run["latency_p99_ms"]
        assert run["machine"]["cores"] >= 1
