"""``AugmentProcessor``: the picklable per-worker wrapper that ``DialogueStage`` runs."""

from __future__ import annotations

import logging

from duplexsynth.augment.augmenter import (
    STAGE,
    AugmentInputError,
    AugmentResources,
    augment_dialogue,
)
from duplexsynth.augment.config import AugmentConfig
from duplexsynth.schemas.reasons import Reason
from duplexsynth.schemas.records import Dialogue, Reject, make_reject
from duplexsynth.worker_local import WorkerLocal

log = logging.getLogger("duplexsynth.augment")


def _reject(d: Dialogue, reason: Reason, detail: str) -> Reject:
    return make_reject(d, STAGE, reason, detail)


class AugmentProcessor(WorkerLocal):
    """Augments one dialogue per call. ``setup()`` builds the RIR library (simulated once and
    cached on disk, or measured) and the noise-file index once per worker.

    Rows that are not mixed stereo dialogues become ``bad_input`` rejects; any other failure of
    one dialogue becomes an ``augment_error`` reject naming the exception.
    """

    worker_local = {"resources": None}  # rebuilt by setup() on the worker

    def __init__(self, config: AugmentConfig | None = None, seed: int = 0) -> None:
        self.config = config or AugmentConfig()
        self.seed = int(seed)
        self.resources: AugmentResources | None = None

    def setup(self) -> None:
        if self.resources is None:
            self.resources = AugmentResources.build(self.config, self.seed)
        if self.config.chain and self.config.chain_p > 0:
            import audiomentations  # noqa: F401  (slow first import: pay it once, here)

    def __call__(self, dialogue: Dialogue) -> Dialogue | Reject:
        if self.resources is None:
            self.setup()
        try:
            return augment_dialogue(dialogue, self.config, self.seed, resources=self.resources)
        except AugmentInputError as exc:
            return _reject(dialogue, Reason.BAD_INPUT, str(exc))
        except Exception as exc:
            log.warning(
                "[augment] dialogue %s failed: %s: %s", dialogue.id, type(exc).__name__, exc
            )
            return _reject(dialogue, Reason.AUGMENT_ERROR, f"{type(exc).__name__}: {exc}")
