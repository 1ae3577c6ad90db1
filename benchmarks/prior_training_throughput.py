"""Training throughput of diffplan's temporal U-Net vs diffusers' UNet1DModel (Diffuser's hopper port).

Both models: H = 32, D = 14 (obs 11 + act 3), batch 32, MSE on x0 over the cosine DDPM schedule, Adam
(lr 2e-4, same implementation for both), 2 CPU threads. Measured in one run, interleaved: warm-up, then
``--repeats`` timed blocks of ``--steps`` training steps per model; the median samples/s is reported.

    python benchmarks/prior_training_throughput.py [--repeats 7] [--steps 20]

Writes benchmarks/results/prior_training_throughput.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import diffusers
import torch
from diffusers import DDPMScheduler, UNet1DModel
from einops import rearrange
from torch import nn

from diffplan.prior.temporal_unet import TemporalUNet, TemporalUNetConfig, count_parameters

H, OBS, ACT, BATCH, T = 32, 11, 3, 32, 20
D = OBS + ACT


def diffusers_hopper_unet() -> UNet1DModel:
    """UNet1DModel as configured for diffusers' hopper port of Diffuser (ValueGuidedRLPipeline)."""
    return UNet1DModel(
        sample_size=H,
        in_channels=D,
        out_channels=D,
        extra_in_channels=0,
        time_embedding_type="positional",
        use_timestep_embedding=True,
        flip_sin_to_cos=False,
        freq_shift=1.0,
        down_block_types=("DownResnetBlock1D",) * 4,
        up_block_types=("UpResnetBlock1D",) * 3,
        mid_block_type="MidResTemporalBlock1D",
        out_block_type="OutConv1DBlock",
        block_out_channels=(32, 64, 128, 256),
        act_fn="mish",
        norm_num_groups=8,
        layers_per_block=1,
        downsample_each_block=False,
    )


class DiffusersAdapter(nn.Module):
    """(B, H, D) interface around UNet1DModel, which takes (B, D, H)."""

    def __init__(self, unet: UNet1DModel) -> None:
        super().__init__()
        self.unet = unet

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        out = self.unet(rearrange(x, "b h d -> b d h"), t).sample
        return rearrange(out, "b d h -> b h d")


def make_step(model: nn.Module, abar: torch.Tensor, data: torch.Tensor, seed: int):
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, foreach=True)
    g = torch.Generator().manual_seed(seed)

    def step() -> None:
        x0 = data[torch.randint(0, data.shape[0], (BATCH,), generator=g)]
        t = torch.randint(0, T, (BATCH,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        a = rearrange(abar[t], "b -> b 1 1")
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
        loss = (model(x_t, t) - x0).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "prior_training_throughput.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)

    abar = DDPMScheduler(num_train_timesteps=T, beta_schedule="squaredcos_cap_v2").alphas_cumprod.float()
    data = torch.randn(4096, H, D)
    ours = TemporalUNet(TemporalUNetConfig(transition_dim=D, dim=32, dim_mults=(1, 2, 4, 8)))
    peer = DiffusersAdapter(diffusers_hopper_unet())
    models = {"diffplan.TemporalUNet": ours, "diffusers.UNet1DModel": peer}
    params = {name: count_parameters(m) for name, m in models.items()}
    runners = {}
    for i, (name, model) in enumerate(models.items()):
        runners[name] = make_step(model, abar, data, seed=i)
    for run in runners.values():
        for _ in range(args.warmup):
            run()
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.repeats):
        for name, run in runners.items():  # interleaved, so machine noise hits both alike
            start = time.perf_counter()
            for _ in range(args.steps):
                run()
            times[name].append(time.perf_counter() - start)
    sps = {name: BATCH * args.steps / statistics.median(ts) for name, ts in times.items()}
    ours_name, peer_name = list(models)
    ratio = sps[ours_name] / sps[peer_name]
    result = {
        "benchmark": "prior training throughput (samples/s, batch 32, H 32, D 14, Adam, CPU)",
        "samples_per_s": sps,
        "parameters": params,
        "ratio_diffplan_over_diffusers": ratio,
        "all_block_seconds": times,
        "settings": {
            "threads": torch.get_num_threads(),
            "batch": BATCH,
            "horizon": H,
            "transition_dim": D,
            "steps_per_block": args.steps,
            "repeats": args.repeats,
            "warmup": args.warmup,
            "loss": "MSE on x0, cosine DDPM schedule, T=20",
            "optimizer": "Adam lr 2e-4 foreach",
        },
        "versions": {
            "torch": torch.__version__,
            "diffusers": diffusers.__version__,
            "python": platform.python_version(),
        },
        "machine": platform.processor() or platform.machine(),
    }
    for name in models:
        print(f"{name:24s} {params[name]:>9,d} params  {sps[name]:8.1f} samples/s")
    print(f"ratio diffplan / diffusers: {ratio:.2f}x")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(out)


if __name__ == "__main__":
    main()
