"""One trainer for every learner: optimisation, EMA, checkpoints, logging, multi-device."""
