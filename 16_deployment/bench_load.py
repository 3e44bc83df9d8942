"""Load benchmark: throughput and p50/p99 latency of both servers under concurrent clients.

    ml_journey/bin/python 16_deployment/bench_load.py          # 2,000 requests, 16 clients
    ml_journey/bin/python 16_deployment/bench_load.py --batch 8 --requests 500

Starts each server as its own process on a free port of 127.0.0.1 (uvicorn + FastAPI + torch,
then http.server + NumPy), sends a warm-up round, then ``--requests`` POSTs to /predict/digit
from ``--concurrency`` client threads, each request carrying ``--batch`` held-out digits.
Writes the table to outputs/16_deployment/bench_load.md (bench_load_batch<B>.md for --batch B).
Not a test: the numbers depend on the machine.
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

import journey
from journey import data

contract = journey.load_stage("16", "from_scratch/_contract.py")
build = journey.load_stage("16", "library_impl/build_artefacts.py")
loadgen = journey.load_stage("16", "_loadgen.py")

HERE = Path(__file__).resolve().parent
SERVERS = {
    "FastAPI + uvicorn + torch": [
        HERE / "library_impl" / "serve_fastapi.py",
        "--log-level",
        "warning",
    ],
    "http.server + NumPy": [HERE / "from_scratch" / "serve_http_numpy.py"],
}


def request_bodies(batch: int, n_distinct: int = 100) -> list[bytes]:
    """JSON bodies of ``batch`` held-out stand-in digits each, cycling through the test split."""
    _, _, images, _ = data.digits_as_mnist()
    pixels = images.astype(np.float32) / 255.0
    return [
        json.dumps(
            {"images": pixels[(np.arange(batch) + i * batch) % len(pixels)].tolist()}
        ).encode()
        for i in range(n_distinct)
    ]


def bench_server(
    script_args: list, artefact_dir: Path, bodies: list[bytes], requests: int, concurrency: int
) -> dict:
    port = loadgen.free_port()
    argv = [
        sys.executable,
        str(script_args[0]),
        "--serve",
        "--artefact-dir",
        str(artefact_dir),
        "--port",
        str(port),
        *map(str, script_args[1:]),
    ]
    with loadgen.server_process(argv, port):
        loadgen.hammer(port, "/predict/digit", bodies, min(100, requests), concurrency)  # warm-up
        start = time.perf_counter()
        replies = loadgen.hammer(port, "/predict/digit", bodies, requests, concurrency)
        wall = time.perf_counter() - start
    for reply in [r for r in replies if r.status != 200][:3]:
        print(
            f"  failed request {reply.index}: status {reply.status} {reply.error} "
            f"{reply.content[:200]!r}"
        )
    return loadgen.summarise(replies, wall)


def markdown(results: dict[str, dict], args) -> str:
    lines = [
        f"Load benchmark: {args.requests} POST /predict/digit requests, "
        f"{args.concurrency} concurrent clients, "
        f"{args.batch} image(s) per request; {platform.processor() or platform.machine()}, "
        f"{results[next(iter(results))]['cpus']} CPUs, {time.strftime('%Y-%m-%d')}.",
        "",
        "| server | ok | errors | requests/s | images/s | p50 (ms) | p99 (ms) | max (ms) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['ok']} | {r['errors']} | {r['throughput_rps']:.0f} | "
            f"{r['throughput_rps'] * args.batch:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{r['max_ms']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=2000, help="timed requests per server (default 2000)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (default 16)")
    parser.add_argument(
        "--batch", type=int, default=1, help=f"images per request, 1..{contract.MAX_BATCH}"
    )
    parser.add_argument(
        "--artefact-dir", type=Path, default=None, help="artefacts (default outputs/16_deployment)"
    )
    args = parser.parse_args()
    if not 1 <= args.batch <= contract.MAX_BATCH or args.requests < 1 or args.concurrency < 1:
        parser.error(
            f"--batch must be in 1..{contract.MAX_BATCH}; --requests and --concurrency must be ≥ 1"
        )
    artefact_dir = args.artefact_dir or contract.default_artefact_dir()
    build.build_all(artefact_dir)
    bodies = request_bodies(args.batch)
    results = {}
    for name, script_args in SERVERS.items():
        print(f"benchmarking {name} ...", flush=True)
        results[name] = bench_server(
            script_args, artefact_dir, bodies, args.requests, args.concurrency
        )
    table = markdown(results, args)
    print(table)
    suffix = "" if args.batch == 1 else f"_batch{args.batch}"
    path = journey.stage_output_dir(contract.STAGE) / f"bench_load{suffix}.md"
    path.write_text(table, encoding="utf-8")
    print(f"written: {path}")


if __name__ == "__main__":
    main()
