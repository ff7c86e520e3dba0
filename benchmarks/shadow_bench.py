"""Benchmark: shadow comparisons per second, prepctl's replay engine vs a sequential replay.

Both sides replay the same recorded GETs against the same three loopback servers (primary,
secondary, candidate; each its own process, so server work does not share the client's GIL)
and build the same report (comparison and noise included); only the replay differs:

- rival: a plain sequential loop with one httpx.Client, one request to one side at a time;
- prepctl: ``prepctl.shadow.replay`` (asyncio + httpx, sides of one request sent together,
  ``--concurrency`` requests in flight, no rate cap).

Run from the repository root:

    .venv/bin/python benchmarks/shadow_bench.py [--requests 500] [--concurrency 4 8 16]

It runs once per simulated service time (0 ms: a trivial handler; 5 ms: a route doing a small
database query) and prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from prepctl.shadow.compare import CompareRules  # noqa: E402
from prepctl.shadow.noise import NoiseThresholds  # noqa: E402
from prepctl.shadow.recorded import RecordedRequest  # noqa: E402
from prepctl.shadow.replay import (  # noqa: E402
    Exchange,
    Observation,
    ReplayResult,
    ReplaySettings,
    Targets,
    replay,
)
from prepctl.shadow.report import ShadowReport, build_report  # noqa: E402

# ---------------------------------------------------------------- the servers (child processes)


def payload_for(role: str, path: str) -> bytes:
    host = int(path.split("/")[3]) if path.startswith("/analytics/host/") else 0
    payload = {"path": path, "host": host, "bookings": 10 * host,
               # The candidate's seeded difference: one request in ten counts one booking too many.
               "confirmed": 291 if role == "candidate" and host % 10 == 3 else 290,
               "generated_at": datetime.now(UTC).isoformat(), "request_id": str(uuid.uuid4()),
               "days": [{"day": f"2024-03-{d + 1:02d}", "n": d} for d in range(7)]}
    return json.dumps(payload).encode()


def serve(role: str, delay_ms: float) -> None:
    """A single-threaded asyncio HTTP/1.1 server (keep-alive), shaped like uvicorn: many
    connections on one event loop, each request waiting ``delay_ms`` as if for its database."""
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                if delay_ms:
                    await asyncio.sleep(delay_ms / 1000)
                body = payload_for(role, urlsplit(path).path)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


@dataclass
class Servers:
    processes: list[subprocess.Popen[str]]
    targets: Targets

    def stop(self) -> None:
        for proc in self.processes:
            proc.terminate()
        for proc in self.processes:
            proc.wait(timeout=10)


def start_servers(delay_ms: float) -> Servers:
    processes, urls = [], {}
    for role in ("primary", "secondary", "candidate"):
        proc = subprocess.Popen([sys.executable, __file__, "--serve", role, "--delay-ms", str(delay_ms)],
                                stdout=subprocess.PIPE, text=True)
        processes.append(proc)
        assert proc.stdout is not None
        urls[role] = f"http://127.0.0.1:{proc.stdout.readline().strip()}"
    return Servers(processes, Targets(urls["primary"], urls["candidate"], urls["secondary"]))


# ---------------------------------------------------------------- the two replays


def recorded(n: int) -> list[RecordedRequest]:
    return [RecordedRequest(index=i + 1, method="GET", path=f"/analytics/host/{i}/summary",
                            headers=(("Accept", "application/json"),), source="bench", line=i + 1)
            for i in range(n)]


def sequential_replay(requests: list[RecordedRequest], targets: Targets, timeout: float) -> ReplayResult:
    """The rival: the obvious loop. Same client library, same (lack of) retries, one at a time."""
    import httpx

    started = time.perf_counter()
    exchanges = []
    with httpx.Client(timeout=timeout, transport=httpx.HTTPTransport(retries=0), trust_env=False) as client:
        for request in requests:
            seen: dict[str, Observation] = {}
            for side, base in targets.items():
                t0 = time.perf_counter()
                response = client.request(request.method, base + request.target, headers=list(request.headers))
                seen[side] = Observation(status=response.status_code,
                                         headers={k.lower(): v for k, v in response.headers.items()},
                                         body=response.content, seconds=time.perf_counter() - t0)
            exchanges.append(Exchange(request, seen["primary"], seen["candidate"], seen.get("secondary")))
    return ReplayResult(exchanges, [], [], False, time.perf_counter() - started)


def report_of(result: ReplayResult, targets: Targets, settings: ReplaySettings, n: int) -> ShadowReport:
    return build_report(result, targets, CompareRules(), NoiseThresholds(), settings, "bench", n)


@dataclass
class Measured:
    seconds: float
    report: ShadowReport

    @property
    def per_second(self) -> float:
        return self.report.compared / self.seconds


def measure(run) -> Measured:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    report = run()
    return Measured(time.perf_counter() - started, report)


def bench(n: int, concurrencies: list[int], delay_ms: float) -> tuple[Measured, list[Measured]]:
    servers = start_servers(delay_ms)
    try:
        requests = recorded(n)
        runs = [ReplaySettings(concurrency=c, rate=0, timeout=10, max_seconds=600) for c in concurrencies]
        # Warm both paths (imports, first connections) on a few requests before timing.
        report_of(sequential_replay(requests[:5], servers.targets, 10), servers.targets, runs[0], 5)
        report_of(replay(requests[:5], servers.targets, runs[0]), servers.targets, runs[0], 5)
        seq = measure(lambda: report_of(sequential_replay(requests, servers.targets, 10),
                                        servers.targets, runs[0], n))
        ours = [measure(lambda s=s: report_of(replay(requests, servers.targets, s), servers.targets, s, n))
                for s in runs]
    finally:
        servers.stop()
    expected = [(d.field, d.count) for d in seq.report.differences]
    for m in (seq, *ours):
        # Both must have found the same thing, or the speed comparison means nothing.
        if m.report.compared != n or [(d.field, d.count) for d in m.report.differences] != expected:
            raise SystemExit(f"the replays disagree: {m.report.to_dict()['differences']}")
    return seq, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--delay-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, default=500, help="recorded requests per run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 8, 16],
                        help="prepctl --concurrency values to run")
    parser.add_argument("--service-ms", type=float, nargs="+", default=[0.0, 5.0],
                        help="simulated service times to run with")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.delay_ms)
        return
    print(f"shadow replay benchmark: {args.requests} requests x 3 sides, loopback, "
          f"{os.cpu_count()} CPUs, python {sys.version.split()[0]}")
    print()
    print("| service time | replay | comparisons/s | seconds | vs sequential |")
    print("|---|---|---|---|---|")
    for delay in args.service_ms:
        seq, ours = bench(args.requests, args.concurrency, delay)
        print(f"| {delay:g} ms | sequential httpx.Client | {seq.per_second:.0f} | {seq.seconds:.2f} | 1.00x |")
        for concurrency, m in zip(args.concurrency, ours, strict=True):
            print(f"| {delay:g} ms | prepctl --concurrency {concurrency} | {m.per_second:.0f} | "
                  f"{m.seconds:.2f} | {m.per_second / seq.per_second:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
