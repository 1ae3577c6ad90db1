"""Training throughput and peak memory of diffplan's temporal U-Net vs diffusers' UNet1DModel (Diffuser's hopper port).

Both models: H = 32, D = 14 (obs 11 + act 3), MSE on x0 over the cosine DDPM schedule, Adam (lr 2e-4, same
implementation for both), the dataset a tensor on the device. Each variant (``fp32``, ``bf16`` autocast,
``+compile`` for ``torch.compile``, ``+cudagraphs`` for ``torch.compile(mode="reduce-overhead")``) is applied
to both models alike. Measured in one run, interleaved: warm-up, then ``--repeats`` timed blocks of
``--steps`` training steps per model; the best block's samples/s is reported (slower blocks measure the other
jobs of a shared machine), with the peak memory of one block (CUDA: max_memory_allocated; CPU: resident
high-water mark above the resident size before the block).

    python benchmarks/prior_training_throughput.py [--device cpu|cuda] [--variants fp32,bf16+compile] [--batch 32]

Writes benchmarks/results/prior_training_throughput[_cuda].json.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import nullcontext

import diffusers
import torch
from common import peak_memory_mib, write_result
from diffuser_peer import DiffusersAdapter, diffusers_hopper_unet
from diffusers import DDPMScheduler
from einops import rearrange
from torch import nn

from diffplan.prior.temporal_unet import TemporalUNet, TemporalUNetConfig, count_parameters

H, OBS, ACT, T = 32, 11, 3, 20
D = OBS + ACT
VARIANTS = ("fp32", "bf16", "fp32+compile", "bf16+compile", "fp32+cudagraphs", "bf16+cudagraphs")


def make_step(model: nn.Module, abar: torch.Tensor, data: torch.Tensor, batch: int, variant: str, seed: int
              ) -> Callable[[], None]:
    """One training step of ``model`` per call, in ``variant``'s precision and compilation."""
    device = data.device
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, foreach=True)
    g = torch.Generator(device).manual_seed(seed)
    forward = model
    if "+cudagraphs" in variant:
        forward = torch.compile(model, mode="reduce-overhead")
    elif "+compile" in variant:
        forward = torch.compile(model)
    bf16 = variant.startswith("bf16")

    def step() -> None:
        x0 = data[torch.randint(0, data.shape[0], (batch,), generator=g, device=device)]
        t = torch.randint(0, T, (batch,), generator=g, device=device)
        eps = torch.randn(x0.shape, generator=g, device=device)
        a = rearrange(abar[t], "b -> b 1 1")
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
        autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
        with autocast:
            loss = (forward(x_t, t).float() - x0).square().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--variants", default="fp32", help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads (1: OpenMP spin-waits stall on cores shared with other jobs)")
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; use {', '.join(VARIANTS)}")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    abar = DDPMScheduler(num_train_timesteps=T, beta_schedule="squaredcos_cap_v2").alphas_cumprod.float().to(device)
    data = torch.randn(4096, H, D, device=device)
    results: dict[str, dict] = {}
    for variant in variants:
        models = {"diffplan.TemporalUNet": TemporalUNet(TemporalUNetConfig(transition_dim=D, dim=32,
                                                                           dim_mults=(1, 2, 4, 8))),
                  "diffusers.UNet1DModel": DiffusersAdapter(diffusers_hopper_unet(H, D))}
        runners = {name: make_step(m.to(device), abar, data, args.batch, variant, seed=i)
                   for i, (name, m) in enumerate(models.items())}
        warmup_seconds = {}
        for name, run in runners.items():
            start = time.perf_counter()
            for _ in range(args.warmup):
                run()
            synchronize(device)
            warmup_seconds[name] = time.perf_counter() - start
        times: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(args.repeats):
            for name, run in runners.items():  # interleaved, so machine noise hits both alike
                synchronize(device)
                start = time.perf_counter()
                for _ in range(args.steps):
                    run()
                synchronize(device)
                times[name].append(time.perf_counter() - start)
        peaks = {name: peak_memory_mib(lambda run=run: [run() for _ in range(args.steps)], args.device)
                 for name, run in runners.items()}
        sps = {name: args.batch * args.steps / min(ts) for name, ts in times.items()}
        ours, peer = list(models)
        results[variant] = {
            "samples_per_s": sps,
            "peak_mib": peaks,
            "ratio_diffplan_over_diffusers": sps[ours] / sps[peer],
            "warmup_seconds": warmup_seconds,
            "all_block_seconds": times,
            "parameters": {name: count_parameters(m) for name, m in models.items()},
        }
    print(f"\n{'variant':18s} {'model':24s} {'samples/s':>10s} {'peak MiB':>9s} {'ratio':>6s}")
    for variant, r in results.items():
        for name, value in r["samples_per_s"].items():
            ratio = f"{r['ratio_diffplan_over_diffusers']:.2f}x" if name.startswith("diffplan") else ""
            print(f"{variant:18s} {name:24s} {value:10.1f} {r['peak_mib'][name]:9.1f} {ratio:>6s}")
    best = max(variants, key=lambda v: results[v]["samples_per_s"]["diffplan.TemporalUNet"])
    baseline = results[variants[0]]["samples_per_s"]["diffusers.UNet1DModel"]
    best_ratio = results[best]["samples_per_s"]["diffplan.TemporalUNet"] / baseline
    print(f"best diffplan variant {best} over diffusers in {variants[0]}: {best_ratio:.2f}x")
    suffix = "" if device.type == "cpu" else f"_{device.type}"
    write_result(f"prior_training_throughput{suffix}", {
        "variants": results,
        "best_diffplan_variant": best,
        "ratio_best_diffplan_over_diffusers_first_variant": best_ratio,
        "settings": {"device": str(device), "threads": torch.get_num_threads(), "batch": args.batch, "horizon": H,
                     "transition_dim": D, "steps_per_block": args.steps, "repeats": args.repeats,
                     "warmup": args.warmup, "loss": "MSE on x0, cosine DDPM schedule, T=20",
                     "optimizer": "Adam lr 2e-4 foreach", "data": "4096 windows, a tensor on the device"},
        "versions": {"diffusers": diffusers.__version__},
    })


if __name__ == "__main__":
    main()
