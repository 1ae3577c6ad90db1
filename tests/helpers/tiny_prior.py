"""A prior small enough to train in a test: the ``diffplan train-prior`` arguments, on a Box dataset."""

DATASET = "local/test/box-v0"
TINY_PRIOR = ["train-prior", "prior-pointmaze-umaze", f"data.dataset_id={DATASET}", "inpaint_goal=false",
              "data.horizon=8", "data.device=cpu", "model.dim=8", "model.dim_mults=[1,2]",
              "diffusion.num_train_timesteps=10", "trainer.batch_size=8", "trainer.steps=2",
              "trainer.checkpoint_every=1", "tracking.mode=disabled"]
