"""One trainer for every learner: optimisation, EMA, checkpoints, logging, multi-device; and one way to read
any trained model back (checkpoint, run folder or export)."""

from diffplan.lazy_exports import lazy_exports

# public name → the module that defines it
PUBLIC = {
    "export_trained": "diffplan.training.trained_state",
    "fit_and_record": "diffplan.training.recorded_run",
    "Learner": "diffplan.training.learner",
    "make_accelerator": "diffplan.training.trainer",
    "read_trained": "diffplan.training.trained_state",
    "TrainedState": "diffplan.training.trained_state",
    "Trainer": "diffplan.training.trainer",
    "TrainerConfig": "diffplan.training.trainer_config",
}

__all__ = sorted(PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, PUBLIC)
