"""``python -m bench.sfu``: what the forwarding SFU costs, against aiortc's decode-and-re-encode.

Issue #3. For each shape, the real server (``python -m app.cli serve``, SQLite in a temporary
folder, signaling protocol v1 at ``/rooms/{room}/ws``, join tokens minted here with the
server's SECRET_KEY) is loaded by separate processes on loopback:

- publishers send a test clip encoded once per bench run (VP8 via libvpx, realtime, keyframe
  every 2 s, 30 fps; Opus in 20 ms frames), paced in real time, through aiortc with its encoder
  bypassed; a PLI makes the video jump to its next keyframe;
- subscribers do real signaling, ICE and DTLS with aiortc, then count RTP packets from the
  clear header of the raw datagrams (SRTP leaves it in the clear), never decoding.

Shapes: ``lecture`` (1 presenter, 720p VP8 at about 1.5 Mb/s plus Opus, S viewers) and
``meeting`` (P people each at 360p about 500 kb/s plus Opus, everyone receiving everyone).

Figures, over a measurement window after a warm-up:

- server CPU per forwarded packet: the server process's user+system CPU time over the window
  (``/proc/PID/stat``, all threads) divided by the RTP packets the subscribers received in it;
- forwarded packets per second: those packets divided by the window;
- loss: packets missing from the sequence-number ranges the subscribers saw (no NACKs);
- added latency p50/p99: per frame (audio and video), from the publisher handing the frame to
  aiortc's sender (which protects and sends it without yielding) to its first packet's arrival
  at the subscriber's socket callback; both ends share CLOCK_MONOTONIC. It is end to end on
  loopback: the SFU's queueing and work, two kernel hops, and the subscriber process's own
  delay in reading its socket. Frame indices come from RTP timestamps on a shared schedule;
- late joiner: a viewer joining after the window, while everything flows; time from its
  ``join`` message (and from ICE+DTLS connected) to the last packet of its first complete VP8
  keyframe;
- server peak RSS (VmHWM; the server's start-up, migrations included, sets it for small loads),
  and RSS growth per subscriber (lecture: after the presenter vs after all viewers; meeting:
  idle server vs all people in, so per person, publishing included);
- the same load, with far fewer subscribers, through ``bench.naive_relay`` (aiortc's
  MediaRelay: decode once, encode per subscriber), as CPU per delivered packet and the ratio.

Context, because on a shared 2-core machine the load generator and everything else compete
with the server: CPU of the server, of the load generator, of everything else and stolen by
the hypervisor while measuring; kernel UDP receive-buffer drops; the publishers' own lateness
(how late a nearly idle process gets to send its frames: machine stalls); latency split, for
video, at the moment the SFU starts fanning a packet out (it stamps abs-send-time with its
``time.monotonic``), and without the frames that closely follow a keyframe.

``--json`` prints a JSON list, one object per shape; otherwise a report with the machine noted.
``--quick`` is a small version that runs in under a minute. ``--nice -5`` (as root) lets the
bench's processes go first on a busy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.loadgen import media, procs
from bench.loadgen.procs import Child

TARGETS = {
    "server_cpu_us_per_packet": 25.0,
    "naive_ratio": 50.0,
    "loss_pct": 0.5,
    "latency_p99_ms": 20.0,
    "late_join_first_frame_ms": 1000.0,
    "rss_mb_per_subscriber": 2.0,
}
SUBSCRIBERS_PER_WORKER = 50
PEOPLE_PER_WORKER = 4
ROOMS = {"lecture": "activity-1", "meeting": "meeting-1"}
BURST_SECONDS = 0.1
"""How long after a keyframe's due time a frame counts as caught in its fan-out burst."""
INTERVALS = {"audio": media.AUDIO_FRAME_SECONDS, "video": 1 / media.VIDEO_FPS}


_STARTED = time.monotonic()
_VERBOSE = False


def progress(message: str) -> None:
    """A line on stderr with --verbose: where the run is."""
    if _VERBOSE:
        print(f"[{time.monotonic() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Options:
    shapes: list[str]
    viewers: int
    people: int
    seconds: float
    warmup: float
    naive_viewers: int
    naive_people: int
    naive_seconds: float
    naive: bool
    clip_seconds: float
    keyframe_seconds: float
    as_json: bool
    quick: bool
    keep_logs: Path | None = None
    verbose: bool = False
    nice: int = 0


@dataclass
class Load:
    """One server under one load: what was measured."""

    server: str
    shape: str
    publishers: int
    subscribers: int
    seconds: float
    cpu_seconds: float = 0.0
    delivered: int = 0
    expected: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    latencies_by_kind: dict[str, list[float]] = field(default_factory=dict)
    latencies_clear_ms: list[float] = field(default_factory=list)
    before_fanout_ms: list[float] = field(default_factory=list)
    """Video: publisher's send to the SFU's abs-send-time stamp (the start of its fan-out)."""
    after_fanout_ms: list[float] = field(default_factory=list)
    """Video: the SFU's stamp to the subscriber reading the packet."""
    """Latencies of frames due more than BURST_SECONDS after any keyframe."""
    late_from_join_ms: float | None = None
    late_from_connected_ms: float | None = None
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    peak_rss_mb: float = 0.0
    keyframe_requests: int = 0
    loadgen_cpu_seconds: float = 0.0
    machine_busy_seconds: float = 0.0
    stolen_seconds: float = 0.0
    t0: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)
    publisher_lags_ms: list[float] = field(default_factory=list)
    """How late the publishers handed their frames to aiortc, inside the window."""
    udp_drops: int = 0
    late_milestones_ms: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def cpu_us_per_packet(self) -> float | None:
        if not self.delivered:
            return None
        return self.cpu_seconds / self.delivered * 1e6

    @property
    def pps(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def loss_pct(self) -> float | None:
        if not self.expected:
            return None
        return max(0, self.expected - self.delivered) / self.expected * 100

    @property
    def rss_per_subscriber_mb(self) -> float | None:
        if not self.subscribers or not self.rss_after_mb:
            return None
        return (self.rss_after_mb - self.rss_before_mb) / self.subscribers


# -- servers -------------------------------------------------------------------------------------
def _grant_times() -> tuple[str, str]:
    now = datetime.now(UTC)
    return (now - timedelta(minutes=1)).isoformat(), (now + timedelta(hours=1)).isoformat()


class RoundsServer:
    """The real application, started as an operator would, with a key we know."""

    kind = "sfu"

    def __init__(self, work: Path, logs: Path, max_participants: int) -> None:
        self.work = work
        self.logs = logs
        self.max_participants = max_participants
        self.secret = secrets.token_urlsafe(48)
        self.port = procs.free_port()
        self.child: Child | None = None
        self._user = 0

    async def start(self, name: str) -> None:
        data = self.work / f"data-{name}"
        data.mkdir(parents=True, exist_ok=True)
        env = {
            "ROUNDS_ENV": "test",
            "SECRET_KEY": self.secret,
            "DATA_DIR": str(data),
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "SEED_DEMO": "false",
            "LOG_LEVEL": "WARNING",
            "RTC_HOST_ADDRESSES": "127.0.0.1",
            "RTC_UDP_PORTS": "",
            "ICE_SERVERS": "",
            "MAX_PARTICIPANTS_PER_ROOM": str(self.max_participants),
        }
        self.child = await procs.spawn(
            f"server-{name}", ["-m", "app.cli", "serve", "--port", str(self.port)],
            self.logs, env, pipes=False,
        )
        await procs.wait_for_port(self.port, self.child.process, 90)

    def ws_url(self, room: str) -> str:
        return f"ws://127.0.0.1:{self.port}/rooms/{room}/ws"

    def token(self, room: str, name: str, *, host: bool = False, publish: bool = True) -> str:
        from app.join_tokens import JoinGrant, JoinTokens

        self._user += 1
        starts, closes = _grant_times()
        grant = JoinGrant(
            room_id=room, user_id=self._user, display_name=name,
            role="host" if host else "learner", title="Bench", starts_at=starts,
            closes_at=closes, can_publish=publish, can_subscribe=True, is_host=host,
        )
        return JoinTokens(self.secret).issue(grant)

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    async def stop(self) -> None:
        if self.child is not None:
            await self.child.stop(grace=0)


class NaiveServer(RoundsServer):
    """bench.naive_relay: MediaRelay, decode and re-encode; any token is accepted."""

    kind = "naive"

    def __init__(self, work: Path, logs: Path, video_bitrate: int) -> None:
        super().__init__(work, logs, 0)
        self.video_bitrate = video_bitrate

    async def start(self, name: str) -> None:
        self.child = await procs.spawn(
            f"naive-{name}",
            ["-m", "bench.naive_relay", "--port", str(self.port),
             "--video-bitrate", str(self.video_bitrate)],
            self.logs, pipes=False,
        )
        await procs.wait_for_port(self.port, self.child.process, 60)

    def token(self, room: str, name: str, *, host: bool = False, publish: bool = True) -> str:
        return f"naive-{name}"


# -- one load ------------------------------------------------------------------------------------
def _split(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    count = max(1, math.ceil(len(items) / size))
    return [items[i::count] for i in range(count)] if items else []


async def _worker(
    name: str, server: RoundsServer, room: str, t0: float, paths: dict[str, Path],
    participants: list[dict[str, Any]], logs: Path, deadline: float,
) -> Child:
    child = await procs.spawn(name, ["-m", "bench.loadgen.worker"], logs)
    await child.send({
        "ws_url": server.ws_url(room),
        "t0": t0,
        "deadline": deadline,
        "media": {k: str(v) for k, v in paths.items()},
        "concurrency": 6,
        "participants": participants,
    })
    return child


async def _ready(children: list[Child], within: float, load: Load) -> None:
    answers = await asyncio.gather(*(c.expect("ready", within) for c in children))
    for child, answer in zip(children, answers, strict=True):
        if not answer.get("ready"):
            load.notes.append(
                f"{child.name}: {answer.get('flowing')}/{answer.get('participants')} flowing "
                f"({answer.get('connected')} connected) when the wait ended; "
                f"errors: {answer.get('errors')}"
            )


async def run_load(
    server: RoundsServer, shape: str, count: int, seconds: float, warmup: float,
    paths: dict[str, Path], encoded: asyncio.Future[None], logs: Path, late: bool,
) -> Load:
    """Start the server, load it with ``count`` viewers (lecture) or people (meeting), measure
    over ``seconds``, then (``late``) let one more viewer join; stop everything."""
    room = ROOMS[shape]
    publishers = 1 if shape == "lecture" else count
    load = Load(server.kind, shape, publishers, count, seconds)
    children: list[Child] = []
    late_worker: Child | None = None
    deadline = 240.0 + count * 1.0 + seconds
    try:
        progress(f"{server.kind} {shape}: starting the server")
        await server.start(f"{shape}-{server.kind}")
        pid = server.pid
        progress(f"{server.kind} {shape}: server {pid} up")
        idle = procs.memory_mb(pid).get("VmRSS", 0.0)
        await encoded
        t0 = load.t0 = time.monotonic() + 1.0
        ready_within = 60.0 + count * 0.6
        if shape == "lecture":
            presenter = {"name": "presenter", "publish": "720p", "expect_streams": 0,
                         "token": server.token(room, "presenter", host=True)}
            children.append(await _worker(
                f"{server.kind}-{shape}-presenter", server, room, t0, paths, [presenter], logs,
                deadline))
            await _ready(children, 60, load)
            await asyncio.sleep(1.0)
            load.rss_before_mb = procs.memory_mb(pid).get("VmRSS", 0.0)
            viewers = [
                {"name": f"viewer-{i}", "expect_streams": 2,
                 "token": server.token(room, f"viewer-{i}", publish=False)}
                for i in range(count)
            ]
            groups = _split(viewers, SUBSCRIBERS_PER_WORKER)
        else:
            load.rss_before_mb = idle
            people = [
                {"name": f"person-{i}", "publish": "360p", "expect_streams": 2 * (count - 1),
                 "token": server.token(room, f"person-{i}", host=i == 0)}
                for i in range(count)
            ]
            groups = _split(people, PEOPLE_PER_WORKER)
        group_workers = [
            await _worker(f"{server.kind}-{shape}-load-{i}", server, room, t0, paths, group,
                          logs, deadline)
            for i, group in enumerate(groups)
        ]
        children += group_workers
        if late:
            late_spec = {"name": "late-viewer", "late": True, "token": "",
                         "expect_streams": 0}
            late_worker = await _worker(f"{server.kind}-{shape}-late", server, room, t0, paths,
                                        [late_spec], logs, deadline)
            children.append(late_worker)
        progress(f"{server.kind} {shape}: {count} joining")
        await _ready(group_workers + ([late_worker] if late_worker else []), ready_within, load)
        progress(f"{server.kind} {shape}: all flowing; warm-up {warmup:g} s")
        await asyncio.sleep(warmup)
        start = time.monotonic() + 0.3
        end = start + seconds
        load.window = (start, end)
        for child in children:
            await child.send({"cmd": "window", "start": start, "end": end})
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        cpu_start = procs.cpu_seconds(pid)
        loadgen_start = _children_cpu(children)
        machine_start = procs.machine_cpu()
        udp_start = procs.udp_counters().get("RcvbufErrors", 0)
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        load.cpu_seconds = procs.cpu_seconds(pid) - cpu_start
        load.loadgen_cpu_seconds = _children_cpu(children) - loadgen_start
        machine_end = procs.machine_cpu()
        load.machine_busy_seconds = machine_end[0] - machine_start[0]
        load.stolen_seconds = machine_end[1] - machine_start[1]
        load.udp_drops = procs.udp_counters().get("RcvbufErrors", 0) - udp_start
        load.rss_after_mb = procs.memory_mb(pid).get("VmRSS", 0.0)
        progress(f"{server.kind} {shape}: window done")
        await asyncio.sleep(0.3)
        if late_worker is not None:
            token = server.token(room, "late-viewer", publish=False)
            await late_worker.send({"cmd": "late", "tokens": {"late-viewer": token}})
            answer = await late_worker.expect("late", 30)
            if not answer.get("done"):
                load.notes.append("the late joiner saw no complete keyframe within 10 s")
        reports: list[dict[str, Any]] = []
        for child in children:
            await child.send({"cmd": "report"})
        for child in children:
            reports += (await child.expect("report", 60))["participants"]
        load.peak_rss_mb = procs.memory_mb(pid).get("VmHWM", 0.0)
        _account(load, reports)
        progress(f"{server.kind} {shape}: reports in")
    finally:
        await asyncio.gather(*(c.stop() for c in children), return_exceptions=True)
        await server.stop()
        progress(f"{server.kind} {shape}: stopped")
    return load


def _children_cpu(children: list[Child]) -> float:
    total = 0.0
    for child in children:
        with contextlib.suppress(OSError):
            total += procs.cpu_seconds(child.pid)
    return total


def _account(load: Load, reports: list[dict[str, Any]]) -> None:
    """Fold the participants' reports into the load's figures."""
    lags: dict[tuple[str, str], tuple[int, list[float]]] = {}
    start, end = load.window
    for report in reports:
        for kind, track in report["published"].items():
            lags[(report["participant_id"], kind)] = (track["first"], track["lags_ms"])
            load.keyframe_requests += track.get("keyframe_requests", 0)
            interval = INTERVALS[kind]
            for at, lag in enumerate(track["lags_ms"]):
                if start <= load.t0 + (track["first"] + at) * interval < end:
                    load.publisher_lags_ms.append(lag)
    publishers = {owner for owner, _ in lags}
    keyframe_times = sorted(
        index / media.VIDEO_FPS
        for report in reports
        for track in report["published"].values()
        for index in track.get("keyframes", [])
    )
    for report in reports:
        for error in report.get("errors", [])[:2]:
            load.notes.append(f"{report['name']}: {error}")
        if report["late"]:
            if report["first_frame_at"] > 0:
                load.late_from_join_ms = (report["first_frame_at"] - report["t_join"]) * 1000
                load.late_from_connected_ms = (
                    report["first_frame_at"] - report["t_connected"]) * 1000
            load.late_milestones_ms = {
                key.removeprefix("t_"): round((value - report["t_join"]) * 1000, 1)
                for key, value in report["milestones"].items() if value > 0
            }
            continue
        for stream in report["streams"]:
            load.delivered += stream["received"]
            load.expected += stream["expected"]
            owner = stream["owner"] or (next(iter(publishers)) if len(publishers) == 1 else "")
            lag = lags.get((owner, stream["kind"]))
            if lag is None or not stream["frames"]:
                continue
            first, lag_ms = lag
            interval = INTERVALS[stream["kind"]]
            for index, delay, after in stream["frames"]:
                at = index - first
                if 0 <= at < len(lag_ms):
                    value = delay - lag_ms[at]
                    if 0 <= after <= value + 1.0:  # a sane stamp: the SFU's monotonic clock
                        load.after_fanout_ms.append(after)
                        load.before_fanout_ms.append(value - after)
                    load.latencies_ms.append(value)
                    load.latencies_by_kind.setdefault(stream["kind"], []).append(value)
                    if not _in_burst(index * interval, keyframe_times):
                        load.latencies_clear_ms.append(value)


def _in_burst(due: float, keyframe_times: list[float]) -> bool:
    """Whether a frame due at ``due`` (seconds after t0) follows a keyframe closely."""
    at = bisect.bisect_right(keyframe_times, due + 1e-9)
    return at > 0 and due - keyframe_times[at - 1] < BURST_SECONDS


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


# -- a run: one shape, both servers --------------------------------------------------------------
async def run_shape(
    shape: str, options: Options, work: Path, logs: Path, paths: dict[str, Path],
    encoded: asyncio.Future[None],
) -> dict[str, Any]:
    count = options.viewers if shape == "lecture" else options.people
    rendition = media.RENDITIONS["720p" if shape == "lecture" else "360p"]
    sfu = await run_load(
        RoundsServer(work, logs, max_participants=count + 10), shape, count, options.seconds,
        options.warmup, paths, encoded, logs, late=True,
    )
    naive: Load | None = None
    if options.naive:
        naive_count = options.naive_viewers if shape == "lecture" else options.naive_people
        naive = await run_load(
            NaiveServer(work, logs, rendition.bitrate), shape, naive_count,
            options.naive_seconds, max(options.warmup, 1.0), paths, encoded, logs, late=False,
        )
    return summarize(shape, sfu, naive)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def summarize(shape: str, sfu: Load, naive: Load | None) -> dict[str, Any]:
    cpu = sfu.cpu_us_per_packet
    naive_cpu = naive.cpu_us_per_packet if naive is not None else None
    ratio = naive_cpu / cpu if naive_cpu and cpu else None
    by_kind = {
        kind: {"p50": _round(percentile(v, 50)), "p99": _round(percentile(v, 99)),
               "frames": len(v)}
        for kind, v in sorted(sfu.latencies_by_kind.items())
    }
    notes = list(sfu.notes)
    cores = os.cpu_count() or 1
    busy = sfu.machine_busy_seconds / sfu.seconds if sfu.seconds else 0.0
    stolen = sfu.stolen_seconds / sfu.seconds if sfu.seconds else 0.0
    if busy + stolen > 0.8 * cores:
        notes.insert(0, (
            f"the machine was {(busy + stolen) / cores:.0%} busy while measuring ("
            f"{busy - (sfu.cpu_seconds + sfu.loadgen_cpu_seconds) / sfu.seconds:.2f} cores "
            f"outside this bench, {stolen:.2f} stolen by the hypervisor): latency and loss "
            "include waiting for a CPU"))
    return {
        "shape": shape,
        "publishers": sfu.publishers,
        "subscribers": sfu.subscribers,
        "seconds": sfu.seconds,
        "server_cpu_us_per_packet": _round(cpu),
        "forwarded_pps": _round(sfu.pps, 1),
        "loss_pct": _round(sfu.loss_pct, 3),
        "latency_p50_ms": _round(percentile(sfu.latencies_ms, 50)),
        "latency_p99_ms": _round(percentile(sfu.latencies_ms, 99)),
        "latency_frames": len(sfu.latencies_ms),
        "latency_p99_ms_outside_keyframe_bursts": _round(percentile(sfu.latencies_clear_ms, 99)),
        "latency_frames_in_keyframe_bursts": len(sfu.latencies_ms) - len(sfu.latencies_clear_ms),
        "latency_by_kind": by_kind,
        "video_latency_split_ms": {
            "before_fanout_p50": _round(percentile(sfu.before_fanout_ms, 50)),
            "before_fanout_p99": _round(percentile(sfu.before_fanout_ms, 99)),
            "after_fanout_start_p50": _round(percentile(sfu.after_fanout_ms, 50)),
            "after_fanout_start_p99": _round(percentile(sfu.after_fanout_ms, 99)),
            "frames": len(sfu.after_fanout_ms),
        },
        "late_join_first_frame_ms": _round(sfu.late_from_join_ms, 1),
        "late_join_first_frame_from_connected_ms": _round(sfu.late_from_connected_ms, 1),
        "server_peak_rss_mb": _round(sfu.peak_rss_mb, 1),
        "server_rss_before_mb": _round(sfu.rss_before_mb, 1),
        "server_rss_after_mb": _round(sfu.rss_after_mb, 1),
        "server_rss_mb_per_subscriber": _round(sfu.rss_per_subscriber_mb, 3),
        "server_cpu_seconds": _round(sfu.cpu_seconds, 3),
        "loadgen_cpu_seconds": _round(sfu.loadgen_cpu_seconds, 2),
        "machine_busy_cores": _round(sfu.machine_busy_seconds / sfu.seconds, 2),
        "stolen_cores": _round(sfu.stolen_seconds / sfu.seconds, 2),
        "publisher_lag_p50_ms": _round(percentile(sfu.publisher_lags_ms, 50)),
        "publisher_lag_p99_ms": _round(percentile(sfu.publisher_lags_ms, 99)),
        "publisher_lag_max_ms": _round(max(sfu.publisher_lags_ms, default=None)),
        "other_busy_cores": _round(max(
            0.0,
            (sfu.machine_busy_seconds - sfu.cpu_seconds - sfu.loadgen_cpu_seconds) / sfu.seconds,
        ), 2),
        "udp_receive_buffer_drops": sfu.udp_drops,
        "late_join_milestones_ms": sfu.late_milestones_ms,
        "packets_delivered": sfu.delivered,
        "keyframe_requests_at_publishers": sfu.keyframe_requests,
        "naive_publishers": naive.publishers if naive else None,
        "naive_subscribers": naive.subscribers if naive else None,
        "naive_seconds": naive.seconds if naive else None,
        "naive_cpu_us_per_packet": _round(naive_cpu, 1),
        "naive_forwarded_pps": _round(naive.pps, 1) if naive else None,
        "naive_loss_pct": _round(naive.loss_pct, 3) if naive else None,
        "naive_ratio": _round(ratio, 1),
        "notes": notes + ([f"naive: {n}" for n in naive.notes] if naive else []),
    }


# -- output --------------------------------------------------------------------------------------
def _verdict(ok: bool | None) -> str:
    return "" if ok is None else ("  ok" if ok else "  MISSED")


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "n/a" if value is None else format(value, spec)


def render(results: list[dict[str, Any]], machine: dict[str, Any], load_after: str) -> str:
    lines = [
        "Rounds SFU bench (issue #3)",
        f"machine: {machine['cores']} cores, {machine['cpu']}; load average "
        f"{machine['load_average']} at start, {load_after} at end (load generator and "
        "anything else running share these cores)",
        f"python {machine['python']}, aiortc {machine.get('aiortc', '?')}, "
        f"PyAV {machine.get('av', '?')}, kernel {machine['kernel']}",
    ]
    if results and results[0].get("niceness"):
        lines.append(f"server and load processes ran at niceness {results[0]['niceness']}")
    for r in results:
        what = (
            f"1 presenter (720p VP8 ~1.5 Mb/s + Opus) -> {r['subscribers']} viewers"
            if r["shape"] == "lecture"
            else f"{r['subscribers']} people (360p VP8 ~500 kb/s + Opus each), all receiving all"
        )
        cpu = r["server_cpu_us_per_packet"]
        p99 = r["latency_p99_ms"]
        late = r["late_join_first_frame_ms"]
        per_sub = r["server_rss_mb_per_subscriber"]
        ratio = r["naive_ratio"]
        lines += [
            "",
            f"{r['shape']}: {what}; {r['seconds']:g} s measured",
            f"  server CPU per forwarded packet  {_fmt(cpu, '.2f')} us"
            f"   (target <= {TARGETS['server_cpu_us_per_packet']:g})"
            f"{_verdict(None if cpu is None else cpu <= TARGETS['server_cpu_us_per_packet'])}",
            f"  forwarded packets per second     {_fmt(r['forwarded_pps'], ',.0f')}"
            f"   ({r['packets_delivered']:,} packets, {r['server_cpu_seconds']} s server CPU)",
            f"  CPU while measuring (cores)      server "
            f"{r['server_cpu_seconds'] / r['seconds']:.2f}, load generator "
            f"{r['loadgen_cpu_seconds'] / r['seconds']:.2f}, everything else "
            f"{_fmt(r['other_busy_cores'], '.2f')}, stolen by the hypervisor "
            f"{_fmt(r['stolen_cores'], '.2f')}, of {machine['cores']} cores; "
            f"{r['udp_receive_buffer_drops']:,} UDP receive-buffer drops",
            f"  publishers' own lateness         p50 / p99 / max "
            f"{_fmt(r['publisher_lag_p50_ms'], '.2f')} / {_fmt(r['publisher_lag_p99_ms'], '.2f')}"
            f" / {_fmt(r['publisher_lag_max_ms'], '.0f')} ms (frames handed to aiortc after "
            "their due time: how much the machine stalls a nearly idle process)",
            f"  loss at the subscribers          {_fmt(r['loss_pct'], '.3f')} %"
            f"   (target < {TARGETS['loss_pct']:g})"
            f"{_verdict(None if r['loss_pct'] is None else r['loss_pct'] < TARGETS['loss_pct'])}",
            f"  added latency p50 / p99          {_fmt(r['latency_p50_ms'], '.2f')} / "
            f"{_fmt(p99, '.2f')} ms over {r['latency_frames']:,} frames"
            f"   (target p99 < {TARGETS['latency_p99_ms']:g})"
            f"{_verdict(None if p99 is None else p99 < TARGETS['latency_p99_ms'])}",
        ]
        lines.append(
            f"      frames due >{BURST_SECONDS * 1000:.0f} ms after any keyframe   p99 "
            f"{_fmt(r['latency_p99_ms_outside_keyframe_bursts'], '.2f')} ms "
            f"({r['latency_frames_in_keyframe_bursts']:,} frames closer to one left out)"
        )
        for kind, figures in r["latency_by_kind"].items():
            lines.append(
                f"      {kind:<5} p50 / p99          {_fmt(figures['p50'], '.2f')} / "
                f"{_fmt(figures['p99'], '.2f')} ms ({figures['frames']:,} frames)"
            )
        split = r["video_latency_split_ms"]
        if split["frames"]:
            lines.append(
                f"      video, publisher -> SFU starts fanning out p50 / p99 "
                f"{_fmt(split['before_fanout_p50'], '.2f')} / "
                f"{_fmt(split['before_fanout_p99'], '.2f')} ms; from there -> subscriber "
                f"{_fmt(split['after_fanout_start_p50'], '.2f')} / "
                f"{_fmt(split['after_fanout_start_p99'], '.2f')} ms"
            )
        lines += [
            f"  late joiner's first frame        {_fmt(late, '.0f')} ms from its join message, "
            f"{_fmt(r['late_join_first_frame_from_connected_ms'], '.0f')} ms from connected"
            f"   (target < {TARGETS['late_join_first_frame_ms']:g})"
            f"{_verdict(None if late is None else late < TARGETS['late_join_first_frame_ms'])}",
            f"  server peak RSS                  {_fmt(r['server_peak_rss_mb'])} MB; "
            f"{_fmt(r['server_rss_before_mb'])} -> {_fmt(r['server_rss_after_mb'])} MB = "
            f"{_fmt(per_sub, '.2f')} MB per subscriber"
            f"   (target <= {TARGETS['rss_mb_per_subscriber']:g})"
            f"{_verdict(None if per_sub is None else per_sub <= TARGETS['rss_mb_per_subscriber'])}",
        ]
        if r["naive_cpu_us_per_packet"] is not None:
            lines.append(
                f"  naive relay (MediaRelay, decode + re-encode) with "
                f"{_naive_load(r)}, "
                f"{r['naive_seconds']:g} s: {_fmt(r['naive_cpu_us_per_packet'], ',.0f')} us "
                f"per packet at {_fmt(r['naive_forwarded_pps'], ',.0f')} packets/s = "
                f"{_fmt(ratio, '.1f')}x the SFU"
                f"   (target >= {TARGETS['naive_ratio']:g}x)"
                f"{_verdict(None if ratio is None else ratio >= TARGETS['naive_ratio'])}"
            )
        for note in r["notes"][:6]:
            lines.append(f"  note: {note}")
    return "\n".join(lines)


def _naive_load(r: dict[str, Any]) -> str:
    if r["shape"] == "lecture":
        return f"1 presenter -> {r['naive_subscribers']} viewer(s)"
    return f"{r['naive_subscribers']} people"


# -- main ------------------------------------------------------------------------------------
def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sfu", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list only")
    parser.add_argument("--quick", action="store_true", help="a small version, under a minute")
    parser.add_argument("--shape", choices=["lecture", "meeting", "both"], default="both")
    parser.add_argument("--viewers", type=int, help="lecture viewers (100; quick 10)")
    parser.add_argument("--people", type=int, help="meeting people (8; quick 4)")
    parser.add_argument("--seconds", type=float, help="measurement window (20; quick 4)")
    parser.add_argument("--warmup", type=float, help="seconds before measuring (3; quick 1)")
    parser.add_argument("--naive-viewers", type=int, help="lecture viewers of the naive relay "
                        "(2; quick 1)")
    parser.add_argument("--naive-people", type=int, help="meeting people on the naive relay "
                        "(3; quick 2)")
    parser.add_argument("--naive-seconds", type=float, help="naive window (10; quick 3)")
    parser.add_argument("--keyframe-seconds", type=float, default=2.0,
                        help="keyframe interval of the encoded clip (2)")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive relay")
    parser.add_argument("--keep-logs", type=Path, help="copy the processes' logs here")
    parser.add_argument("--verbose", action="store_true", help="progress on stderr")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness of the server and load processes (e.g. -5 as root, so "
                        "that other work on a shared machine delays them less); default 0")
    args = parser.parse_args(argv)
    quick = bool(args.quick)

    def pick(value: Any, full: Any, small: Any) -> Any:
        return value if value is not None else (small if quick else full)

    options = Options(
        shapes=["lecture", "meeting"] if args.shape == "both" else [args.shape],
        viewers=pick(args.viewers, 100, 10),
        people=pick(args.people, 8, 4),
        seconds=pick(args.seconds, 20.0, 4.0),
        warmup=pick(args.warmup, 3.0, 1.0),
        naive_viewers=pick(args.naive_viewers, 2, 1),
        naive_people=pick(args.naive_people, 3, 2),
        naive_seconds=pick(args.naive_seconds, 10.0, 3.0),
        naive=not args.no_naive,
        clip_seconds=max(4.0 if quick else 6.0, args.keyframe_seconds),
        keyframe_seconds=args.keyframe_seconds,
        as_json=bool(args.json),
        quick=quick,
        keep_logs=args.keep_logs,
        verbose=bool(args.verbose),
        nice=args.nice,
    )
    if options.viewers < 1 or options.people < 2 or options.seconds <= 0:
        parser.error("need at least 1 viewer, 2 people and a positive window")
    return options


async def run(options: Options) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="rounds-bench-") as tmp:
        work = Path(tmp)
        logs = work / "logs"
        logs.mkdir()
        renditions = sorted({"720p" if s == "lecture" else "360p" for s in options.shapes})
        paths, encoders = media.start_encoding(
            work, renditions, options.clip_seconds, options.keyframe_seconds
        )
        encoded = asyncio.ensure_future(asyncio.to_thread(media.finish_encoding, encoders))
        try:
            for shape in options.shapes:
                results.append(await run_shape(shape, options, work, logs, paths, encoded))
        except BaseException:
            for log in sorted(logs.glob("*.log")):
                text = log.read_text(errors="replace").strip()
                if text:
                    print(f"--- {log.name}\n{text[-2000:]}", file=sys.stderr)
            raise
        finally:
            with contextlib.suppress(BaseException):
                await encoded
            if options.keep_logs is not None:
                shutil.copytree(logs, options.keep_logs, dirs_exist_ok=True)
    return results


def main(argv: list[str] | None = None) -> int:
    global _VERBOSE
    options = parse(argv)
    _VERBOSE = options.verbose
    procs.NICENESS = options.nice
    machine = procs.machine()
    results = asyncio.run(run(options))
    for result in results:
        result["machine"] = machine
        result["niceness"] = options.nice
    if options.as_json:
        print(json.dumps(results, indent=2))
    else:
        print(render(results, machine, procs.load_average()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
