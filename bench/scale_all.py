"""Every scale-out figure in one run (issue 11): the three benches one after the other, so no
two of them share the machine.

    python bench/scale_all.py [--quick]

1. ``bench/scale.py``: peak memory at two corpus sizes and their ratio, cores busy, the 1 -> 2
   worker speed-up (pipeline-bound and engine-bound) with identical bytes;
2. ``bench/served.py``: slot-time used of a 16-slot TTS server and throughput against its
   capacity;
3. ``bench/scale_io.py``: the same run on local folders, on a local S3 server and on a Beam
   worker pool (PortableRunner), wall time and identical bytes.

``--quick`` passes ``--quick`` to each (a few minutes instead of about ten). Exits non-zero if
any of them does.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = ("scale.py", "served.py", "scale_io.py")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every bench")
    args = parser.parse_args()
    failed = []
    for script in SCRIPTS:
        cmd = [sys.executable, str(BENCH / script), *(["--quick"] if args.quick else [])]
        print(f"\n=== {' '.join(['python', f'bench/{script}', *cmd[2:]])}", flush=True)
        start = time.monotonic()
        rc = subprocess.run(cmd, check=False).returncode
        print(f"=== bench/{script}: exit {rc}, {time.monotonic() - start:.0f} s", flush=True)
        if rc:
            failed.append(script)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
