"""Worker processes' stderr is filtered while a pipeline runs: no tracebacks, no start-up noise."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from duplexsynth.pipelines.workerlog import TracebackFilter


def test_filter_drops_tracebacks_and_chained_ones_but_keeps_the_rest() -> None:
    text = textwrap.dedent(
        """\
        [run 5s] 3/10 dialogues
        Traceback (most recent call last):
          File "x.py", line 1, in f
            raise OSError(28)
        OSError: [Errno 28] No space left on device

        During handling of the above exception, another exception occurred:

        Traceback (most recent call last):
          File "y.py", line 2, in g
        RuntimeError: OSError: [Errno 28] No space left on device [while running 'W']
        INFO:__main__:Logging handler created.
        WARNING: a real warning stays
        [run 10s] 6/10 dialogues
        """
    )
    keep = TracebackFilter().keep
    kept = [line for line in text.splitlines(keepends=True) if keep(line)]
    assert kept == [
        "[run 5s] 3/10 dialogues\n",
        "WARNING: a real warning stays\n",
        "[run 10s] 6/10 dialogues\n",
    ]


def test_child_processes_writing_to_fd2_are_filtered_and_stderr_is_restored() -> None:
    """A real child process inherits the filtered descriptor, as Beam's workers do."""
    code = textwrap.dedent(
        """\
        import subprocess, sys
        from duplexsynth.pipelines.workerlog import filtered_stderr
        child = (
            "import sys; sys.stderr.write('progress 1\\\\n');"
            "sys.stderr.write('Traceback (most recent call last):\\\\n  File x\\\\nValueError: boom\\\\n');"
            "sys.stderr.write('progress 2\\\\n')"
        )
        with filtered_stderr(active=True):
            subprocess.run([sys.executable, "-c", child], check=True)
            print("launcher line", file=sys.stderr, flush=True)
        print("after the block", file=sys.stderr, flush=True)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert lines == ["progress 1", "progress 2", "launcher line", "after the block"], out.stderr
