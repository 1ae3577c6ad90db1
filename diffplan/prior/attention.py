"""Optional linear attention over the time axis of a window (Diffuser's ``attention=True`` variant)."""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor, nn


class LinearAttention(nn.Module):
    """Residual, pre-normalised linear attention on (B, C, H) -> (B, C, H).

    ``out = x + W_o · softmax_d(q) · (softmax_h(k)^T v)``: cost linear in the horizon.
    """

    def __init__(self, channels: int, heads: int = 4, dim_head: int = 32, n_groups: int = 8) -> None:
        super().__init__()
        self.heads = heads
        self.scale = dim_head**-0.5
        hidden = heads * dim_head
        self.norm = nn.GroupNorm(n_groups, channels)
        self.to_qkv = nn.Conv1d(channels, 3 * hidden, 1, bias=False)
        self.to_out = nn.Conv1d(hidden, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, C, H) -> (B, C, H)."""
        q, k, v = rearrange(self.to_qkv(self.norm(x)), "b (three h d) n -> three b h d n", three=3, h=self.heads)
        q = q.softmax(dim=-2) * self.scale
        k = k.softmax(dim=-1)
        context = torch.einsum("bhdn,bhen->bhde", k, v)
        out = torch.einsum("bhde,bhdn->bhen", context, q)
        return x + self.to_out(rearrange(out, "b h e n -> b (h e) n"))
