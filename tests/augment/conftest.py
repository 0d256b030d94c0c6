"""Fixtures for the augment tests: mixed dialogues of real Piper speech, a shared RIR cache."""

from __future__ import annotations

import pytest
from _augtools import build_mixed

from duplexsynth.schemas.records import Dialogue


@pytest.fixture(scope="session")
def mixed(say) -> Dialogue:
    return build_mixed(say)


@pytest.fixture(scope="session")
def mixed_many(say) -> list[Dialogue]:
    return [build_mixed(say, f"dlg-{i:04d}") for i in range(4)]


@pytest.fixture(scope="session")
def rir_cache(tmp_path_factory) -> str:
    """One cache dir for the whole session, so small RIR libraries are simulated once."""
    return str(tmp_path_factory.mktemp("rir-cache"))
