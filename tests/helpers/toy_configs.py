"""A nested dataclass config for the loader's tests."""

from dataclasses import dataclass


@dataclass
class Inner:
    method: str = "guided"
    steps: int = 20
    scale: float = 1.0
