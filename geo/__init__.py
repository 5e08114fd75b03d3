"""The model, pure and testable: classifications, compositions, propensities, demand, similarity.

Every function here takes and returns numpy arrays or pandas frames; nothing reads a store or
serves a request, so each formula can be checked by hand in a test.
"""
