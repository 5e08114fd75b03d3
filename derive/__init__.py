"""Derived tables: compositions, predominant classes, propensities, demand, bands."""
