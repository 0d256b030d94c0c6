"""Fixtures of the mix tests: aligned dialogues of real Piper speech (see schedule_helpers)."""

from __future__ import annotations

import pytest
from schedule_helpers import make_dialogue

from duplexsynth.schemas.records import Dialogue


@pytest.fixture(scope="session")
def tea(say) -> Dialogue:
    """Four turns of real speech with a backchannel lexicon (incl. stop commands) for both."""
    return make_dialogue(say)
