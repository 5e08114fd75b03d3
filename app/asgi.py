"""ASGI entry point for ``uvicorn app.asgi:app`` (settings from the environment).

Several worker processes are for PostGIS only; the embedded store is served by one process
(see :func:`app.serve.run_server`).
"""

from app.main import create_app

app = create_app()
