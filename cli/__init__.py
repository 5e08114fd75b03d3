"""The ``insight`` command line: one package on top of ingest, derive and the HTTP app."""
