"""One random stream per problem: draws that do not depend on which other problems share the batch.

A planner that samples the plans of several environments in one batch must not let the batch decide the
noise of an episode, or ``num_envs`` changes the results. Every sampler accepts, besides one
``torch.Generator`` (or None) for the whole batch, a list of generators, one per problem (row block): the B
problems of a batch of ``B * K`` rows are then B consecutive blocks of K rows, block b drawn from
``generators[b]``. A generator listed more than once draws for each of its blocks in turn, so the draws of an
episode depend only on its own generator and the order of its own plans.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
from torch import Tensor
from torch.quasirandom import SobolEngine

Generators = torch.Generator | Sequence[torch.Generator] | None


def generator_device(generator: Generators) -> torch.device:
    """Where the random numbers of ``generator`` (or of the first of a list) are drawn; CPU without one."""
    if generator is None:
        return torch.device("cpu")
    if isinstance(generator, torch.Generator):
        return generator.device
    return generator[0].device


def _blocks(rows: int, generator: Sequence[torch.Generator]) -> int:
    if not len(generator) or rows % len(generator):
        raise ValueError(f"{rows} rows cannot be split into blocks for {len(generator)} generators")
    return rows // len(generator)


def normal(shape: Sequence[int], generator: Generators, device: torch.device | str) -> Tensor:
    """Standard normal draws of ``shape`` (rows first) on ``device``."""
    if generator is None or isinstance(generator, torch.Generator):
        return torch.randn(tuple(shape), generator=generator, device=generator_device(generator)).to(device)
    size = _blocks(shape[0], generator)
    return torch.cat([torch.randn((size, *shape[1:]), generator=g, device=g.device).to(device) for g in generator])


@functools.lru_cache(maxsize=32)
def _sobol_net(dim: int, size: int) -> Tensor:
    """The first ``size`` points of the (unscrambled) Sobol sequence in ``dim`` dimensions, as integers (size, dim)
    of ``SobolEngine.MAXBIT`` bits."""
    points = SobolEngine(dim, scramble=False).draw(size, dtype=torch.float64)
    return (points * 2**SobolEngine.MAXBIT).round().long()


def quasi_normal(shape: Sequence[int], generator: Generators, device: torch.device | str, blocks: int = 1) -> Tensor:
    """Randomised quasi-Monte Carlo standard normal draws of ``shape`` (rows first) on ``device``.

    The rows are split into ``blocks`` consecutive blocks (with a list of generators: one per generator, as
    :func:`normal`); the rows of a block are the points of a Sobol net in ``prod(shape[1:])`` dimensions under a
    random digital shift, in a random order, jittered uniformly within their cell of the net's grid, through the
    normal quantile. Each row is exactly N(0, I), as with :func:`normal`, and rows of different calls are
    independent; the rows of one block are spread evenly (their mean and covariance are much closer to 0 and I
    than those of i.i.d. draws), so averages over the rows of a block, such as a particle estimate, vary less.
    The random order matters: without it, row i of two calls would be correlated. Dimensions past Sobol's limit
    (21,201) are i.i.d.
    """
    if generator is None or isinstance(generator, torch.Generator):
        generators = [generator] * blocks
    else:
        generators = list(generator)
    size = _blocks(shape[0], generators)
    dim = math.prod(shape[1:])
    net = _sobol_net(min(dim, SobolEngine.MAXDIM), size)
    cell = 2.0**-SobolEngine.MAXBIT
    parts = []
    for g in generators:
        where = generator_device(g)
        shift = torch.randint(0, 2**SobolEngine.MAXBIT, (net.shape[1],), generator=g, device=where).cpu()
        order = torch.randperm(size, generator=g, device=where).cpu()
        jitter = torch.rand(net.shape, generator=g, dtype=torch.float64, device=where).cpu()
        u = ((net[order] ^ shift) + jitter) * cell
        z = torch.special.ndtri(u.clamp(cell / 2, 1 - cell / 2)).float()
        if net.shape[1] < dim:
            z = torch.cat([z, torch.randn((size, dim - net.shape[1]), generator=g, device=where).cpu()], dim=1)
        parts.append(z.reshape(size, *shape[1:]).to(device))
    return torch.cat(parts)


def uniform(shape: Sequence[int], generator: Generators, device: torch.device | str,
            dtype: torch.dtype = torch.float32) -> Tensor:
    """Uniform [0, 1) draws of ``shape`` (rows first) on ``device``."""
    if generator is None or isinstance(generator, torch.Generator):
        return torch.rand(tuple(shape), generator=generator, dtype=dtype,
                          device=generator_device(generator)).to(device)
    size = _blocks(shape[0], generator)
    return torch.cat([torch.rand((size, *shape[1:]), generator=g, dtype=dtype, device=g.device).to(device)
                      for g in generator])


def per_row(generator: Generators, rows: int) -> Generators:
    """The generator argument for a library that draws row by row (diffusers' ``step``): one per row."""
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    size = _blocks(rows, generator)
    return [g for g in generator for _ in range(size)]
