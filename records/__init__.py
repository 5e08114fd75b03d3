"""Council records: reading a council's uploaded service records and aggregating them on ingest.

Sits beside ``boundaries`` (national ingest) and ``derive`` (the build): it reads files and
writes aggregates through the store; no row-level record leaves this package.
"""
