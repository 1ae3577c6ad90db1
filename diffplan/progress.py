"""Progress bars with rate and ETA, shown on a terminal and kept out of logs and pipes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tqdm.auto import tqdm


def progress_bar(iterable: Iterable | None = None, *, enabled: bool = True, **kwargs: Any) -> tqdm:
    """A tqdm bar; with ``enabled`` it is shown only when stderr is a terminal (``disable=None``)."""
    return tqdm(iterable, disable=None if enabled else True, dynamic_ncols=True, **kwargs)
