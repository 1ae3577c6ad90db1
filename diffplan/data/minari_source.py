"""Opening Minari datasets by id: local ones, or remote ones downloaded for users with network access."""

from __future__ import annotations

import minari

from diffplan.errors import UserError


def open_minari_dataset(dataset_id: str, download: bool = False) -> minari.MinariDataset:
    """Open the Minari dataset ``dataset_id`` (e.g. ``local/pointmaze/umaze-dense-v0``).

    A local copy under ``$MINARI_DATASETS_PATH`` is used when present. Otherwise, with ``download=True``,
    the dataset is fetched from Minari's remote (e.g. ``mujoco/hopper/medium-v0``); without network access
    that fails with one error that names the id and how to collect a local dataset instead.
    """
    try:
        return minari.load_dataset(dataset_id, download=False)
    except FileNotFoundError:
        if not download:
            raise UserError(
                f"Minari dataset '{dataset_id}' is not on this machine (MINARI_DATASETS_PATH="
                f"{minari.storage.get_dataset_path()}); collect one with `diffplan collect` or pass "
                "data.download=true to download a remote dataset"
            ) from None
    except ValueError as error:
        raise UserError(f"'{dataset_id}' is not a valid Minari dataset id ({error}); ids look like "
                        "namespace/name-v0") from None
    try:
        return minari.load_dataset(dataset_id, download=True)
    except Exception as error:  # network errors come in many types from several client libraries
        raise UserError(
            f"could not download Minari dataset '{dataset_id}' ({type(error).__name__}); without network "
            "access collect a local dataset with `diffplan collect --list` and use its id"
        ) from None
