"""diffplan: offline trajectory generation with diffusion planning (control as inference)."""

from diffplan.errors import UserError

__all__ = ["UserError"]
__version__ = "0.1.0"
