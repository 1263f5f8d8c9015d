"""`kiosk serve` under load (issue 19): a real uvicorn in its own process on a loopback port.

- `POST /api/v1/tickets`: p50/p95 one request at a time (a kept-alive connection), and
  tickets per second from 4 concurrent clients for `--seconds` (0 duplicates checked), next
  to `Store.issue()` alone in this process on a store of its own (the floor);
- a call committed by another process (this one, through the Store) -> the `called` event
  read on 1, 100 and 1,000 open `GET /api/v1/events` streams: p95 over the streams;
- the server's RSS and CPU while 1,000 streams stay open and idle for 10 s;
- phone pages (issue 23): `--phones` (1,000) tickets of one service, each with its page's
  stream open (`GET /t/TOKEN/stream`, the phone page's own), then a call committed by
  another process: every page is affected (one is called, the others have one fewer
  ahead) -> its new view read on its stream, p95 over the pages; the server's RSS and CPU
  meanwhile.

Targets: issue p95 <= 3 ms and >= 1,000 tickets/s with 4 clients; call -> 1,000 streams
p95 <= 250 ms; 1,000 idle streams <= 150 MB RSS and <= 5% of a core; call -> 1,000 phone
pages p95 <= 500 ms with the server under 200 MB.

    .venv/bin/python benchmarks/serve_bench.py [--n 300] [--seconds 5] [--streams 1 100 1000]
                                               [--phones 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from kiosk import config as cfg  # noqa: E402
from kiosk.clock import from_environment  # noqa: E402
from kiosk.store import Store  # noqa: E402

NOW = "2026-11-27T09:00:00+07:00"
SERVICES = "ABCDE"


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def site(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    # No quotas; a public rate limit for a lobby whose thousand phones share one address
    # here (on a real LAN each phone has its own).
    config.write_text(cfg.embedded_text().replace("quota = ", "# quota = ").replace(
        "rate_per_minute = 120", "rate_per_minute = 100000"), "utf-8")
    return config


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def floor_issue(folder: Path, n: int) -> list[float]:
    settings = cfg.load(site(folder))
    times = []
    with Store(settings, clock=from_environment()) as store:
        for i in range(n):
            started = time.perf_counter()
            store.issue(SERVICES[i % 5])
            times.append((time.perf_counter() - started) * 1000)
    return times


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def open_streams(port: int, key: str, n: int) -> list[tuple[asyncio.StreamReader,
                                                                  asyncio.StreamWriter]]:
    streams = []
    for _ in range(n):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     f"Authorization: Bearer {key}\r\n\r\n".encode())
        await writer.drain()
        streams.append((reader, writer))
    for reader, _writer in streams:  # headers and the first "retry:" line
        await reader.readuntil(b"retry: 2000\n\n")
    return streams


async def delivery(port: int, key: str, n: int, call: threading.Event,
                   called_at: list[float]) -> list[float]:
    streams = await open_streams(port, key, n)
    await asyncio.sleep(0.5)

    async def wait_called(reader: asyncio.StreamReader) -> float:
        while True:
            line = await reader.readline()
            if line.startswith(b"event: called"):
                return time.perf_counter()

    waiters = [asyncio.create_task(wait_called(r)) for r, _w in streams]
    call.set()
    done = await asyncio.wait_for(asyncio.gather(*waiters), 60)
    for _reader, writer in streams:
        writer.close()
    return [(t - called_at[0]) * 1000 for t in done]


async def phone_pages(port: int, tokens: list[str], call: threading.Event,
                      called_at: list[float]) -> list[float]:
    """Each token's page stream open; after the call, when each got its new view (ms)."""
    streams = []
    for token in tokens:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        writer.write(f"GET /t/{token}/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
                     .encode())
        await writer.drain()
        streams.append((reader, writer))

    async def next_view(reader: asyncio.StreamReader) -> None:
        seen = []
        while True:
            line = await reader.readline()
            seen.append(line[:80])
            if not line:
                raise SystemExit(f"a phone page's stream ended: {seen[-6:]}")
            if line.startswith(b"HTTP/1.1 ") and not line.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"a phone page's stream was refused: {line.decode().strip()}")
            if line.startswith(b"event: view"):
                return

    await asyncio.gather(*(next_view(r) for r, _w in streams))  # each page's first view
    await asyncio.sleep(0.5)

    async def timed(reader: asyncio.StreamReader) -> float:
        await next_view(reader)
        return time.perf_counter()

    waiters = [asyncio.create_task(timed(r)) for r, _w in streams]
    call.set()
    done = await asyncio.wait_for(asyncio.gather(*waiters), 120)
    for _reader, writer in streams:
        writer.close()
    return [(t - called_at[0]) * 1000 for t in done]


def hammer(url: str, key: str, slot: int, seconds: float) -> int:
    """One client: tickets as fast as the server gives them, for `seconds`."""
    made = 0
    stop_at = time.perf_counter() + seconds
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
        while time.perf_counter() < stop_at:
            done = client.post("/api/v1/tickets", json={"service": SERVICES[(slot + made) % 5]})
            made += done.status_code == 201
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--idle-s", type=float, default=10.0)
    parser.add_argument("--phones", type=int, default=1000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    os.environ["KIOSK_NOW"] = NOW
    root = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    floor = floor_issue(root / "floor", args.n)
    config = site(root / "site")
    env = {**os.environ, "KIOSK_CONFIG": str(config)}
    kiosk = [sys.executable, "-m", "kiosk"]
    for counter in "1234":
        subprocess.run([*kiosk, "counter", "open", "--counter", counter], env=env, check=True,
                       capture_output=True)
    key = subprocess.run([*kiosk, "api-key", "add", "bench", "--scope", "admin"], env=env,
                         check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([*kiosk, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {key}"}
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=url, headers=headers) as client:
            for _ in range(20):  # warm
                client.post("/api/v1/tickets", json={"service": "A"})
            sequential = []
            for i in range(args.n):
                started = time.perf_counter()
                done = client.post("/api/v1/tickets", json={"service": SERVICES[i % 5]})
                sequential.append((time.perf_counter() - started) * 1000)
                assert done.status_code == 201, done.text
        # Four clients, each a process of its own (threads of one process would measure
        # this process's lock, not the server).
        with multiprocessing.get_context("fork").Pool(4) as pool:
            started = time.perf_counter()
            server_cpu = cpu_s(server.pid)
            counts = pool.starmap(hammer, [(url, key, i, args.seconds) for i in range(4)])
            server_cpu = cpu_s(server.pid) - server_cpu
        rate = sum(counts) / (time.perf_counter() - started)
        settings = cfg.load(config)
        with Store(settings, clock=from_environment()) as store:
            dups = store.conn.execute("SELECT COUNT(*) - COUNT(DISTINCT day || label)"
                                      " FROM tickets").fetchone()[0]
        print("milliseconds; one `kiosk serve` process on 2 cores")
        print(f"floor: Store.issue() in this process  p50 {statistics.median(floor):6.2f}"
              f"   p95 {p(floor, 0.95):6.2f}")
        print(f"POST /api/v1/tickets, sequential      p50 {statistics.median(sequential):6.2f}"
              f"   p95 {p(sequential, 0.95):6.2f}   target p95 <= 3 ms:"
              f" {'met' if p(sequential, 0.95) <= 3 else 'MISSED'}")
        print(f"POST /api/v1/tickets, 4 clients        {rate:7.0f} tickets/s, {dups} duplicate"
              f" labels   target >= 1000/s: {'met' if rate >= 1000 else 'MISSED'}"
              f" (server CPU {server_cpu * 1000 / max(sum(counts), 1):.2f} ms a ticket)")
        store = Store(settings, clock=from_environment())
        for n in args.streams:
            call = threading.Event()
            called_at: list[float] = []

            def caller(call: threading.Event, called_at: list[float]) -> None:
                call.wait()
                store.issue("D")
                time.sleep(0.2)  # the issued event has gone out; now the measured call
                called_at.append(time.perf_counter())
                store.call_next(4)

            thread = threading.Thread(target=caller, args=(call, called_at))
            thread.start()
            # The streams live in this thread's own loop; the call is made from another
            # thread through its own connection, like another process's commit.
            latencies = asyncio.run(delivery(port, key, n, call, called_at))
            thread.join()
            print(f"call -> {n:5d} stream(s)   p50 {statistics.median(latencies):7.1f}"
                  f"   p95 {p(latencies, 0.95):7.1f}   max {max(latencies):7.1f}"
                  + (f"   target p95 <= 250 ms: {'met' if p(latencies, 0.95) <= 250 else 'MISSED'}"
                     if n >= 1000 else ""))
        store.close()
        idle_n = max(args.streams)

        async def idle() -> tuple[float, float, float]:
            streams = await open_streams(port, key, idle_n)
            await asyncio.sleep(1.0)
            before_cpu, before = cpu_s(server.pid), time.perf_counter()
            await asyncio.sleep(args.idle_s)
            share = (cpu_s(server.pid) - before_cpu) / (time.perf_counter() - before)
            memory = rss_mb(server.pid)
            for _reader, writer in streams:
                writer.close()
            return memory, share, rss_mb(server.pid)

        memory, share, _ = asyncio.run(idle())
        print(f"{idle_n} idle streams for {args.idle_s:.0f} s: server RSS {memory:.0f} MB, CPU"
              f" {share * 100:.1f}% of a core   target <= 150 MB, <= 5%:"
              f" {'met' if memory <= 150 and share <= 0.05 else 'MISSED'}")
        phones(settings, server.pid, port, args.phones)
    finally:
        server.terminate()
        server.wait(10)


def phones(settings: cfg.Settings, pid: int, port: int, n: int) -> None:
    """1,000 phone pages on one service's tickets; one call affects them all."""
    with Store(settings, clock=from_environment()) as store:
        while store.call_next(3) is not None:  # counter 3 (C and E): nobody else waits
            pass
        tokens = [str(store.issue("C").token) for _ in range(n)]
        call = threading.Event()
        called_at: list[float] = []
        cpu: list[float] = []

        def caller() -> None:
            call.wait()
            cpu.append(cpu_s(pid))
            called_at.append(time.perf_counter())
            store.call_next(3)  # the first C ticket is called; every other has one fewer ahead

        thread = threading.Thread(target=caller)
        thread.start()
        latencies = asyncio.run(phone_pages(port, tokens, call, called_at))
        thread.join()
    spent = cpu_s(pid) - cpu[0]
    window = max(latencies) / 1000
    memory = rss_mb(pid)
    print(f"call -> {n:5d} phone pages  p50 {statistics.median(latencies):7.1f}"
          f"   p95 {p(latencies, 0.95):7.1f}   max {max(latencies):7.1f}   server RSS"
          f" {memory:.0f} MB, CPU {spent:.2f} s in {window:.2f} s"
          f"   target p95 <= 500 ms, <= 200 MB:"
          f" {'met' if p(latencies, 0.95) <= 500 and memory <= 200 else 'MISSED'}")


if __name__ == "__main__":
    main()
