"""Beam side of the final ``write`` step (library code: ``duplexsynth.pipelines.write``)."""

from __future__ import annotations

import apache_beam as beam

from duplexsynth import fs
from duplexsynth.pipelines import io
from duplexsynth.pipelines.config import WriteConfig
from duplexsynth.pipelines.stage import DialogueStage
from duplexsynth.pipelines.write import STAGE, FinalRowProcessor, final_schema
from duplexsynth.schemas.arrow import STAGE_FOLDERS


class WriteTransform(beam.PTransform):
    """Shape mixed/augmented rows into final rows: ``{"main": rows, "rejects": reject rows}``.

    Rows that break the contract (no stereo audio, wrong duration, ...) become ``bad_input``
    rejects; writing the shards is :class:`WriteDialogues`.
    """

    def __init__(self, config: WriteConfig | None = None, seed: int | None = None) -> None:
        super().__init__()
        self.config = config or WriteConfig()
        self.seed = seed

    def expand(self, rows):
        return rows | "Finalize" >> DialogueStage(STAGE, FinalRowProcessor(self.config, self.seed))


def dialogue_shards(output_root: str, config: WriteConfig | None = None) -> io.ShardSpec:
    """The shard folder of the final rows: ``OUT/dialogues/part-*.parquet``, sorted by id."""
    cfg = config or WriteConfig()
    return io.ShardSpec(
        fs.join(str(output_root), STAGE_FOLDERS[STAGE]),
        final_schema(cfg),
        target_shard_mb=cfg.target_shard_mb,
        row_group_rows=cfg.row_group_rows,
    )


class WriteDialogues(beam.PTransform):
    """Write final rows to ``OUT/dialogues/part-*.parquet`` (deterministic, sorted by id)."""

    def __init__(self, output_root: str, config: WriteConfig | None = None) -> None:
        super().__init__()
        self.spec = dialogue_shards(output_root, config)

    def expand(self, rows):
        return {"dialogues": rows} | "WriteShards" >> io.WriteFolders({"dialogues": self.spec})
