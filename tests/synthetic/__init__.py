"""Small, deterministic source data generated for the hermetic tests.

``generate(root)`` writes every demo source in its real layout under ``root`` (a data
directory ``cli.demo.build_demo`` and ``insight load`` read as they read the real one) and
returns the :class:`~tests.synthetic.world.World` it wrote, so tests work their expected
answers out from the generated numbers. Nothing is read from the real data folder.
"""

from __future__ import annotations

from pathlib import Path

from tests.synthetic.files import write_all
from tests.synthetic.world import LEEDS, MANCHESTER, TRAFFORD, World, build_world

__all__ = ["LEEDS", "MANCHESTER", "TRAFFORD", "World", "generate"]


def generate(root: Path, seed: int = 2021) -> World:
    """Write the generated sources under ``root`` and return what they hold."""
    world = build_world(seed)
    world.root = Path(root)
    write_all(world, world.root)
    return world
