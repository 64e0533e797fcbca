#!/usr/bin/python3
"""Rewards/s through the rlvr Python client: one Verify call per sample (what a naive per-sample
reward function does) against one call per group, batched VerifyStream (sync and asyncio), and the
OpenRLHF-shaped HTTP endpoint, all in the same run against the same server. Prints a table with
ratios to the per-sample baseline (this machine is noisy: compare ratios, not absolute rates).

    bench/python_client_bench.py [--binary build/release/cli/rlvr-verifier] [--groups 256] [--k 8]
    bench/python_client_bench.py --target 127.0.0.1:50051 --http http://127.0.0.1:8080

Without --target it starts the binary on free loopback ports like clients/python/run_tests.sh does.
Run clients/python/generate.sh first (the stubs are not committed); use /usr/bin/python3.
"""

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

from rlvr import AsyncVerifierClient, VerifierClient  # noqa: E402
from rlvr.testing import LocalVerifier  # noqa: E402

OPENRLHF_PATH = "/v1/openrlhf/reward"


def load_rows(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("kind", "math") == "math" and "answer" in row and "response" in row:
                rows.append((row["answer"], row["response"]))
    if not rows:
        raise SystemExit(f"no math rows with 'answer' and 'response' in {path}")
    return rows


def make_groups(rows, groups, k):
    """`groups` groups of k responses: each gold with its own response and others' (mostly wrong)."""
    out = []
    for g in range(groups):
        gold, _ = rows[g % len(rows)]
        responses = [rows[(g + j * 7) % len(rows)][1] for j in range(k)]
        out.append((gold, responses))
    return out


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def post_json(url, body, timeout):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode())


def run(target, http, groups, args):
    samples = sum(len(r) for _, r in groups)
    flat = [(gold, response) for gold, responses in groups for response in responses]
    table = []  # (mode, calls, seconds, scores)
    client = VerifierClient(target, timeout=args.timeout)
    client.wait_ready(10)
    client.verify_batch(groups[:8], batch_size=8)  # warm-up: connection, server threads

    seconds, verdicts = timed(lambda: [client.verify(g, [r])[0] for g, r in flat])
    table.append(("gRPC Verify, one call per sample", len(flat), seconds, [v.score for v in verdicts]))

    seconds, results = timed(lambda: [client.verify(g, rs) for g, rs in groups])
    table.append(("gRPC Verify, one call per group", len(groups), seconds,
                  [v.score for vs in results for v in vs]))

    seconds, results = timed(lambda: client.verify_batch(groups, batch_size=args.batch_size))
    table.append((f"gRPC VerifyStream, batch_size={args.batch_size}",
                  -(-len(groups) // args.batch_size), seconds, [v.score for vs in results for v in vs]))
    client.close()

    async def async_batch():
        async with AsyncVerifierClient(target, timeout=args.timeout, max_concurrent_streams=4) as c:
            await c.wait_ready(10)
            start = time.perf_counter()
            results = await c.verify_batch(groups, batch_size=args.batch_size)
            return time.perf_counter() - start, results

    seconds, results = asyncio.run(async_batch())
    table.append((f"asyncio VerifyStream, batch_size={args.batch_size}, 4 streams",
                  -(-len(groups) // args.batch_size), seconds, [v.score for vs in results for v in vs]))

    http_note = None
    if http:
        prompt = "<|user|>Solve the problem.<|assistant|>"
        chunks = [flat[i:i + args.http_batch] for i in range(0, len(flat), args.http_batch)]

        def openrlhf():
            scores = []
            for chunk in chunks:
                answer = post_json(http + OPENRLHF_PATH, {
                    "query": [prompt + r for _, r in chunk], "prompts": [prompt] * len(chunk),
                    "labels": [g for g, _ in chunk]}, args.timeout)
                scores.extend(float(x) for x in answer["rewards"])
            return scores

        try:
            seconds, scores = timed(openrlhf)
            table.append((f"HTTP {OPENRLHF_PATH}, {args.http_batch} samples/POST", len(chunks), seconds,
                          scores))
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise
            http_note = f"HTTP {OPENRLHF_PATH}: endpoint missing on this server (404), not measured"
    else:
        http_note = "HTTP: no HTTP port, OpenRLHF endpoint not measured"

    reference = table[0][3]
    base_rate = samples / table[0][2]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"rlvr Python client: {len(groups)} groups x {args.k} = {samples} rewards per mode "
          f"(server {target}; {os.cpu_count()} CPUs, load average {load})")
    print(f"{'mode':<52} {'calls':>6} {'seconds':>8} {'rewards/s':>10} {'vs per-sample':>13} "
          f"{'same scores':>11}")
    for mode, calls, seconds, scores in table:
        rate = samples / seconds
        same = "yes" if scores == reference else f"NO ({sum(a != b for a, b in zip(scores, reference))})"
        print(f"{mode:<52} {calls:>6} {seconds:>8.3f} {rate:>10.0f} {rate / base_rate:>12.1f}x {same:>11}")
    if http_note:
        print(http_note)
    return all(scores == reference for *_, scores in table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", help="rlvr-verifier to start (default $RLVR_VERIFIER_BIN or "
                        "build/release/cli/rlvr-verifier)")
    parser.add_argument("--target", help="use a running server's gRPC address instead")
    parser.add_argument("--http", help="with --target: its HTTP base URL (http://host:port)")
    parser.add_argument("--rows", default=os.path.join(ROOT, "examples", "math_sample.jsonl"))
    parser.add_argument("--groups", type=int, default=256)
    parser.add_argument("--k", type=int, default=8, help="responses per group")
    parser.add_argument("--batch-size", type=int, default=64, help="groups per VerifyStream call")
    parser.add_argument("--http-batch", type=int, default=512, help="samples per OpenRLHF POST")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    groups = make_groups(load_rows(args.rows), args.groups, args.k)
    if args.target:
        ok = run(args.target, args.http, groups, args)
    else:
        with LocalVerifier(args.binary) as server:
            ok = run(server.grpc_target, server.http_url, groups, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
