"""Objects pickled to Beam workers without what each worker builds for itself.

A stage processor or an engine travels to the workers by pickle; its loaded models, clients,
thread pools and per-worker caches must not (they are large, hold locks or sockets, or belong to
one process). :class:`WorkerLocal` declares them once per class instead of a ``__getstate__``
in each.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar


class WorkerLocal:
    """Mixin: the attributes named in :attr:`worker_local` are pickled as their empty value (a
    copy of it), and the worker builds them again in ``setup()``/``load()``."""

    #: attribute -> its value before the worker builds it (``None``, ``{}``)
    worker_local: ClassVar[dict[str, Any]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update({name: copy.copy(empty) for name, empty in self.worker_local.items()})
        return state
