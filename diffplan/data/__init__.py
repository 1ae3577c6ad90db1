"""Minari datasets: collection recipes, and episodes packed on the device as windows and transitions."""

from diffplan.lazy_exports import lazy_exports

# public name → the module that defines it
PUBLIC = {
    "AffineNormalizer": "diffplan.data.normalizer",
    "DataConfig": "diffplan.data.data_config",
    "ObservationLayout": "diffplan.data.observation_layout",
    "open_minari_dataset": "diffplan.data.minari_source",
    "RECIPES": "diffplan.data.recipes",
    "TrajectoryBuffer": "diffplan.data.trajectory_buffer",
}

__all__ = sorted(PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
