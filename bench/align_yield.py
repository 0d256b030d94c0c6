"""Alignment yield on served TTS without engine timings (issue 15, part 8).

    .venv/bin/python bench/align_yield.py [--dialogues 10] [--quick] [--code-root DIR]
    .venv/bin/python bench/align.py --yield ...          (the same, from the align bench)

The setup the issue measured: real multi-turn chat dialogues (``bench/chat_corpus.py``: 25
turns, 2-3 minutes of speech each) spoken by an OpenAI-compatible ``/v1/audio/speech`` server
that returns synthetic speech (Piper's bundled voice for the assistant; the user Piper slowed
down, or espeak with ``--user-voice espeak``) and **no word timings**, so every turn is aligned by the recogniser (the bundled faster-whisper tiny.en).
A loopback server in this process plays that server. The stages run from the CLI
(``filter``, ``rewrite``, ``synth``, ``align``) in fresh processes with ``PYTHONPATH`` set to
``--code-root`` (default: this checkout), so the same script measures another checkout (the
code before a change) side by side on the same corpus, audio and recogniser cache.

Printed: turns entering align, turns kept (the yield), dialogues kept/cut/rejected, words per
alignment path (recognised, interpolated, widened), exchanges dropped, and the most common
failure reasons.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


class PiperSpeechServer:
    """``POST /v1/audio/speech`` answered with Piper speech as WAV; no timings of any kind."""

    def __init__(self) -> None:
        from duplexsynth.synth.backends.piper import PiperBackend

        self.piper = PiperBackend()
        self.piper.load()
        from duplexsynth.synth.backends.espeak import EspeakBackend

        self.espeak = EspeakBackend()
        self.espeak.load()
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                import soundfile as sf

                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    if body.get("voice") == "espeak":
                        result = server.espeak.synthesize(body["input"], {"voice": "en-us"})
                    else:
                        params = {"length_scale": 1.1} if body.get("voice") == "slow" else {}
                        result = server.piper.synthesize(body["input"], params)
                buf = io.BytesIO()
                sf.write(buf, result.audio, result.sample_rate, format="WAV")
                data = buf.getvalue()
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _cli(code_root: Path, env: dict[str, str], *args: str) -> None:
    full = {**os.environ, **env, "PYTHONPATH": str(code_root)}
    cmd = [sys.executable, "-m", "duplexsynth.cli", *args]
    # cwd too: ``python -m`` puts the working folder first on sys.path
    done = subprocess.run(cmd, env=full, capture_output=True, text=True, cwd=code_root)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:1])} failed ({done.returncode}):\n{done.stderr[-3000:]}")


def _rows(folder: Path) -> list[dict]:
    import pyarrow.parquet as pq

    rows: list[dict] = []
    for path in sorted(folder.glob("part-*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def prepare(
    work: Path, dialogues: int, server_url: str, env: dict[str, str], user_voice: str = "slow"
) -> Path:
    """Corpus -> filter -> rewrite -> synth (served voices); returns the synth output root."""
    sys.path.insert(0, str(HERE))
    from chat_corpus import write_corpus

    corpus = work / "chat.jsonl"
    write_corpus(corpus, dialogues=dialogues)
    bank = work / "served.yaml"
    bank.write_text(
        "version: 1\nassistant: srv-a\nvoices:\n"
        "  - {id: srv-a, backend: openai, params: {voice: normal}, role: assistant}\n"
        f"  - {{id: srv-u, backend: openai, params: {{voice: {user_voice}}}}}\n"
    )
    root = REPO  # the stages before align are not what is measured: always this checkout
    _cli(root, env, "filter", "--input", str(corpus), "--output", str(work / "f"))
    _cli(root, env, "rewrite", "--input", str(work / "f"), "--output", str(work / "r"))
    _cli(
        root, env, "synth", "--input", str(work / "r"), "--output", str(work / "s"),
        "--voice-bank", str(bank), "--tts-base-url", server_url, "--tts-model", "piper",
    )  # fmt: skip
    return work / "s"


def measure(code_root: Path, synth_root: Path, out: Path, env: dict[str, str]) -> dict:
    """Run ``align`` with ``code_root``'s code on ``synth_root``; the yield and its paths."""
    _cli(code_root, env, "align", "--input", str(synth_root), "--output", str(out))
    turns_in = sum(len(r["turns"]) for r in _rows(synth_root / "synthesized"))
    kept = _rows(out / "aligned")
    rejects = _rows(out / "rejects" / "align")
    words = Counter()
    widened = dropped = cut = 0
    reasons: Counter[str] = Counter()
    for row in kept:
        params = json.loads(row["params"]).get("align", {})
        for turn in row["turns"]:
            for w in turn.get("words") or []:
                words[w["method"]] += 1
        widened += (params.get("fixes") or {}).get("widened", 0)
        for ex in params.get("dropped_exchanges") or []:
            dropped += 1
            reasons[_reason_kind(ex.get("reason", ""))] += 1
        if params.get("cut"):
            cut += 1
            reasons[_reason_kind(params["cut"].get("reason", ""))] += 1
    for r in rejects:
        reasons[_reason_kind(r["detail"])] += 1
    return {
        "turns_in": turns_in,
        "turns_kept": sum(len(r["turns"]) for r in kept),
        "dialogues": len(kept) + len(rejects),
        "kept": len(kept),
        "cut": cut,
        "rejected": len(rejects),
        "exchanges_dropped": dropped,
        "words": dict(words),
        "widened": widened,
        "reasons": reasons.most_common(4),
        "worst": min((len(r["turns"]) for r in kept), default=0),
    }


def _reason_kind(detail: str) -> str:
    """The failure without its numbers and words ("word N 'x' has no duration ...")."""
    import re

    text = detail.split("fallback faster_whisper: ")[-1].split(": ", 1)[-1]
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    return re.sub(r"\d+(?:\.\d+)?", "N", text)[:70]


def report(label: str, m: dict) -> None:
    share = 100.0 * m["turns_kept"] / max(1, m["turns_in"])
    print(f"\n== {label}")
    print(
        f"turns kept {m['turns_kept']} of {m['turns_in']} ({share:.0f}%); dialogues "
        f"{m['kept']} kept (of which {m['cut']} cut short), {m['rejected']} rejected; "
        f"smallest kept dialogue {m['worst']} turns; exchanges dropped {m['exchanges_dropped']}"
    )
    paths = ", ".join(f"{k} {v}" for k, v in sorted(m["words"].items()))
    print(f"words by path: {paths}; words widened {m['widened']}")
    for reason, n in m["reasons"]:
        print(f"  {n:>4} x {reason}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialogues", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="2 dialogues (a smoke run)")
    ap.add_argument(
        "--code-root", action="append", default=None,
        help="checkout(s) whose align stage to measure (repeat to compare); default: this one",
    )  # fmt: skip
    ap.add_argument("--work", default=None, help="work folder (kept; default: a temp folder)")
    ap.add_argument(
        "--user-voice", choices=("slow", "espeak"), default="slow",
        help="the user's server voice: Piper slowed down (default) or espeak (harder to hear)",
    )  # fmt: skip
    ap.add_argument("--reuse", action="store_true", help="reuse the speech already in --work")
    args = ap.parse_args(argv)
    n = 2 if args.quick else args.dialogues
    work = Path(args.work or tempfile.mkdtemp(prefix="align-yield-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {"DUPLEXSYNTH_CACHE": os.environ.get("DUPLEXSYNTH_CACHE", str(work / "cache"))}
    synth_root = work / "s"
    if not (args.reuse and (synth_root / "summary.json").exists()):
        server = PiperSpeechServer()
        try:
            synth_root = prepare(work, n, server.url, env, args.user_voice)
        finally:
            server.close()
    print(f"{n} chat dialogues spoken by a loopback TTS server without timings; work: {work}")
    for i, root in enumerate(args.code_root or [str(REPO)]):
        m = measure(Path(root).resolve(), synth_root, work / f"a{i}", env)
        report(f"align with the code in {root}", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
