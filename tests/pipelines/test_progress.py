"""The one progress reporter: what its lines count, and when it prints them."""

from __future__ import annotations

import re

from duplexsynth.pipelines.progress import ProgressBoard, duration


def test_run_board_counts_written_and_rejected_dialogues(capsys) -> None:
    board = ProgressBoard("run", every_s=0.0, total=10, final_stage="write")
    board.add("filter", kept=3, rejected=2)
    board.add("synth", kept=3)
    board.add("synth", rejected=1)
    board.add("write", kept=2, audio_s=360.0)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4  # every_s=0: one line per update
    last = lines[-1]
    # finished = 2 written + 2 rejected by filter + 1 rejected by synth
    assert re.match(r"\[run +\d+s\] 5/10 dialogues \([\d.]+/s\), 0\.100 h audio", last), last
    assert "ETA " in last
    assert last.endswith("| kept/rejected: filter 3/2 synth 3/1 write 2/0"), last


def test_stage_board_counts_its_own_stage_and_adds_the_extra(capsys) -> None:
    board = ProgressBoard("rewrite", every_s=0.0, extra=lambda: "; llm: 3 requests")
    board.add("rewrite", kept=1, audio_s=0.0)
    board.add("rewrite", rejected=1)
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.match(r"\[rewrite +\d+s\] 2 dialogues", last), last  # no total: no "/N", no ETA
    assert "ETA" not in last
    assert last.endswith("kept/rejected: rewrite 1/1; llm: 3 requests"), last


def test_lines_wait_for_every_s(capsys) -> None:
    board = ProgressBoard("export moshi", every_s=3600.0)
    for _ in range(5):
        board.add("moshi", kept=1, audio_s=1.0)
    assert capsys.readouterr().err == ""
    assert board.done() == 5


def test_workers_tag_the_line_and_share_the_total() -> None:
    board = ProgressBoard("run", every_s=3600.0, total=40, workers=4, final_stage="write")
    board.add("write", kept=3)
    line = board.line(board.started + 10.0)
    assert " pid " in line and "3/~10 dialogues (0.30/s)" in line, line
    assert "ETA 23s" in line, line  # 7 left of this worker's ~10 at 0.3/s


def test_duration() -> None:
    assert [duration(s) for s in (42, 187, 7500)] == ["42s", "3m07s", "2h05m"]
