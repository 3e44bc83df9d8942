"""Start a server process on 127.0.0.1 and send it many requests from many clients at once.

Shared by the load tests (tests/test_16_load.py) and the benchmark (bench_load.py). Standard
library only. Everything is bounded: the server gets a start-up deadline and is always stopped
(``finally``), every request has a socket timeout, and the client threads a global deadline.
Only the loopback address 127.0.0.1 is ever used: nothing here listens to or calls the network.
"""

import http.client
import os
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


@contextmanager
def server_process(
    argv: list[str], port: int, *, startup_timeout: float = 120.0, env: dict | None = None
):
    """Run ``argv`` (a server that will listen on 127.0.0.1:``port``) until the block ends.

    Waits until ``GET /health`` answers 200 and yields the base URL. If the process exits or the
    deadline passes first, raises ``RuntimeError`` with the end of its output. The process is
    terminated (then killed if it must be) whatever happens inside the block.
    """
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + startup_timeout
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                tail = log.read()[-3000:].decode("utf-8", "replace")
                state = (
                    f"exited with {process.returncode}"
                    if process.poll() is not None
                    else "did not answer in time"
                )
                raise RuntimeError(f"server {state}: {' '.join(argv)}\n{tail}")
            time.sleep(0.2)
        yield f"http://{HOST}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


@dataclass
class Reply:
    """One request's outcome: which body, the status (None on a transport error), the latency."""

    index: int
    body_index: int
    status: int | None
    content: bytes
    seconds: float
    error: str = ""


def hammer(
    port: int,
    path: str,
    bodies: list[bytes],
    n_requests: int,
    concurrency: int,
    *,
    timeout: float = 30.0,
    deadline: float = 300.0,
) -> list[Reply]:
    """POST ``n_requests`` JSON bodies (``bodies[i % len(bodies)]``) from ``concurrency`` threads.

    Each thread keeps one keep-alive connection (reopened after an error or a server close) and
    sends every ``concurrency``-th request. A request that never ran by the global ``deadline``
    comes back as an error, so the caller always gets ``n_requests`` replies.
    """
    replies: list[Reply | None] = [None] * n_requests

    def worker(first: int) -> None:
        connection = None
        for i in range(first, n_requests, concurrency):
            body_index = i % len(bodies)
            start = time.perf_counter()
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
                connection.request(
                    "POST",
                    path,
                    body=bodies[body_index],
                    headers={"Content-Type": "application/json"},
                )
                response = connection.getresponse()
                content = response.read()
                replies[i] = Reply(
                    i, body_index, response.status, content, time.perf_counter() - start
                )
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException) as exc:
                replies[i] = Reply(i, body_index, None, b"", time.perf_counter() - start, repr(exc))
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(concurrency)]
    end = time.monotonic() + deadline
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, end - time.monotonic()))
    return [
        reply or Reply(i, i % len(bodies), None, b"", 0.0, "not sent before the deadline")
        for i, reply in enumerate(replies)
    ]


def summarise(replies: list[Reply], wall_seconds: float) -> dict:
    """Throughput and latency percentiles (milliseconds) of a run."""
    latencies = sorted(r.seconds for r in replies if r.status == 200)
    n = len(latencies)

    def percentile(q: float) -> float:
        return 1000 * latencies[min(n - 1, int(q * n))] if n else float("nan")

    return {
        "requests": len(replies),
        "ok": n,
        "errors": len(replies) - n,
        "throughput_rps": n / wall_seconds if wall_seconds > 0 else float("nan"),
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "max_ms": percentile(1.0),
        "cpus": os.cpu_count(),
    }
