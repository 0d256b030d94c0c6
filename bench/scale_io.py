"""Wall time of one small `duplexsynth run`, three ways, side by side in one go:

* local:        corpus, OUT and cache in local folders, DirectRunner;
* s3:           corpus, OUT and cache on a local S3 server (moto's standalone server);
* worker pool:  local files, PortableRunner with an EXTERNAL Beam worker pool.

Every run uses the same multi-turn chat corpus (bench/chat_corpus.py), espeak voices and a cold
cache of its own, starts the CLI as a user would, and must write the same shard bytes; the
script prints wall seconds and the ratio to the local run.

Run: ``python bench/scale_io.py [--quick]`` (quick: 2 dialogues; default: 6).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "pipelines")]

from objectstore import cli, moto_server, new_bucket, worker_pool  # noqa: E402

from bench.chat_corpus import write_corpus  # noqa: E402

FAST = ["--voice-bank", "espeak", "--set", "augment.rir_library_size=2"]


def _digest(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        if name.endswith(".parquet"):
            h.update(name.encode() + files[name])
    return h.hexdigest()[:16]


def _timed(args: list[str], cwd: Path) -> float:
    started = time.monotonic()
    res = cli(args, cwd=cwd, timeout_s=3600)
    if res.returncode != 0:
        raise SystemExit(f"run failed: {' '.join(args)}\n{res.stderr[-3000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 dialogues instead of 6")
    parser.add_argument("--dialogues", type=int, default=None)
    ns = parser.parse_args()
    n = ns.dialogues or (2 if ns.quick else 6)
    work = Path(tempfile.mkdtemp(prefix="bench-scale-io-"))
    corpus = work / "chat.jsonl"
    write_corpus(corpus, dialogues=n)
    results: dict[str, tuple[float, str]] = {}

    out = work / "local"
    wall = _timed(
        ["run", "--input", str(corpus), *FAST, "--output", str(out)]
        + ["--cache-dir", str(work / "cache-local")],
        work,
    )
    files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    results["local"] = (wall, _digest(files))

    with moto_server() as endpoint:
        bucket = new_bucket(endpoint)
        bucket.put("corpus/chat.jsonl", corpus.read_bytes())
        wall = _timed(
            ["run", "--input", f"{bucket.url}/corpus/chat.jsonl", *FAST]
            + ["--output", f"{bucket.url}/out", "--cache-dir", f"{bucket.url}/cache"]
            + ["--", *bucket.beam_args],
            work,
        )
        files = {k[len("out/") :]: bucket.get(k) for k in bucket.keys("out/")}
        results["s3"] = (wall, _digest(files))

    with worker_pool() as port:
        out = work / "pool"
        wall = _timed(
            ["run", "--input", str(corpus), *FAST, "--output", str(out)]
            + ["--cache-dir", str(work / "cache-pool"), "--", "--runner=PortableRunner"]
            + ["--job_endpoint=embed", "--environment_type=EXTERNAL"]
            + [f"--environment_config=localhost:{port}"],
            work,
        )
        files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        results["worker pool"] = (wall, _digest(files))

    base = results["local"][0]
    print(f"scale_io: {n} chat dialogues, espeak voices, cold cache per run ({work})")
    print(f"  {'run':<12}{'wall s':>9}{'vs local':>10}  shard digest")
    for name, (wall, digest) in results.items():
        print(f"  {name:<12}{wall:>9.1f}{wall / base:>9.2f}x  {digest}")
    same = len({d for _, d in results.values()}) == 1
    print(f"  identical shard bytes across the three: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
