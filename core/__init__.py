"""The core every other package stands on: settings, levels, tile grid, errors, progress and the store."""
