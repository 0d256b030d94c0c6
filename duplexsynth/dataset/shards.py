"""Readers of a written dataset's final shards, ``OUT/dialogues/part-*.parquet``."""

from __future__ import annotations

from pathlib import Path

from duplexsynth.schemas.arrow import STAGE_FOLDERS


def dialogue_files(output_root: str | Path) -> list[str]:
    """The final shards of ``output_root`` (which may also be the ``dialogues`` folder itself)."""
    from duplexsynth import fs
    from duplexsynth.pipelines.io import part_files

    root = str(output_root)
    for candidate in (fs.join(root, STAGE_FOLDERS["write"]), root):
        files = part_files(candidate)
        if files:
            return files
    raise ValueError(
        f"no dialogues/part-*.parquet under {str(root)!r}: run `duplexsynth run --output {root}` first"
    )


def iter_dialogues(output_root: str | Path, columns: list[str] | None = None):
    """Final rows of ``output_root`` one at a time (streamed; audio rows are large)."""
    from duplexsynth.pipelines.io import parquet_file

    for path in dialogue_files(output_root):
        pf = parquet_file(path)
        try:
            for batch in pf.iter_batches(batch_size=4, columns=columns):
                yield from batch.to_pylist()
        finally:
            pf.close()
