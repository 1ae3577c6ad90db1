"""Weighted particles: the output of SMC and importance sampling, and the operations on their weights."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from einops import rearrange
from torch import Tensor

from diffplan.prior.random_streams import Generators, generator_device, uniform


@dataclass
class WeightedParticles:
    """K weighted particles for each of B problems.

    Attributes:
        x: (B, K, H, D) normalised windows.
        log_weights: (B, K) self-normalised log-weights (logsumexp over K is 0).
        log_likelihood: (B, K) log p(O | x) of each particle at t = 0.
        ess_trace: (S,) effective sample size after each weight update (before any resampling), mean over
            the B problems; in [1, K].
        ess: (S, B) the same per problem.
        log_evidence: (B,) estimate of log E_prior[p(O | x)] (log of the normalising constant).
        resampled: (S, B) bool, where resampling happened.
    """

    x: Tensor
    log_weights: Tensor
    log_likelihood: Tensor
    ess_trace: Tensor
    ess: Tensor
    log_evidence: Tensor
    resampled: Tensor

    def mean(self) -> Tensor:
        """Weighted mean window of each problem (B, H, D)."""
        w = rearrange(self.log_weights.exp(), "b k -> b k 1 1").to(self.x.dtype)
        return (w * self.x).sum(dim=1)


def sanitize(log_weights: Tensor) -> Tensor:
    """NaN -> -inf, +inf -> largest finite; a problem whose weights are all -inf becomes uniform. (B, K)."""
    lw = torch.nan_to_num(log_weights, nan=-math.inf, posinf=torch.finfo(log_weights.dtype).max)
    dead = torch.isneginf(lw).all(dim=1, keepdim=True)
    return torch.where(dead, torch.zeros_like(lw), lw)


def _shifted(log_weights: Tensor) -> Tensor:
    """Sanitised log-weights (B, K) minus their maximum per problem: the largest is 0, so nothing overflows and
    no difference between weights is lost against a huge common offset (log-weights of 1e20 and more)."""
    lw = sanitize(log_weights)
    return lw - lw.max(dim=1, keepdim=True).values


def normalise(log_weights: Tensor) -> Tensor:
    """Self-normalised log-weights (B, K): subtract the logsumexp over K."""
    lw = _shifted(log_weights)
    return lw - torch.logsumexp(lw, dim=1, keepdim=True)


def effective_sample_size(log_weights: Tensor) -> Tensor:
    """ESS = (sum w)^2 / sum w^2 per problem, from log-weights (B, K) -> (B,) in [1, K]."""
    lw = _shifted(log_weights)
    ess = torch.exp(2 * torch.logsumexp(lw, dim=1) - torch.logsumexp(2 * lw, dim=1))
    return ess.clamp(1.0, lw.shape[1])


def systematic_resample(log_weights: Tensor, generator: Generators = None) -> Tensor:
    """Ancestor indices (B, K) by systematic resampling of each problem's weights (B, K); a list of B generators
    gives each problem its own offset."""
    b, k = log_weights.shape
    w = normalise(log_weights.double()).exp()
    cdf = w.cumsum(dim=1)
    cdf[:, -1] = 1.0
    offsets = uniform((b, 1), generator, w.device, torch.float64)
    u = (offsets + torch.arange(k, dtype=torch.float64, device=w.device)) / k
    return torch.searchsorted(cdf, u).clamp(max=k - 1)


def multinomial_pick(log_weights: Tensor, generator: Generators = None) -> Tensor:
    """One index per problem drawn in proportion to the weights (B, K) -> (B,); a list of B generators draws each
    problem's index from its own."""
    w = normalise(log_weights.double()).exp()
    if generator is None or isinstance(generator, torch.Generator):
        picks = torch.multinomial(w.to(generator_device(generator)), 1, generator=generator)
        return picks.squeeze(1).to(log_weights.device)
    if len(generator) != w.shape[0]:
        raise ValueError(f"{len(generator)} generators for {w.shape[0]} problems")
    picks = [torch.multinomial(row[None].to(g.device), 1, generator=g)[0] for row, g in zip(w, generator, strict=True)]
    return torch.cat(picks).to(log_weights.device)
