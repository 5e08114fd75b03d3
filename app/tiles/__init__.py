"""Vector tiles: the layer catalogue, tile arithmetic, the tile cache and tile making."""
