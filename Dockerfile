# Citizen Insight server. Build: docker build -t citizen-insight .
# Run on PostGIS:   docker run -p 8000:8000 -e INSIGHT_DATABASE_URL=postgresql://... citizen-insight
# Run the demo:     docker run -p 8000:8000 -v /path/to/data:/data citizen-insight insight demo --host 0.0.0.0
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/insight
COPY pyproject.toml README.md alembic.ini ./
COPY core ./core
COPY geo ./geo
COPY boundaries ./boundaries
COPY derive ./derive
COPY records ./records
COPY app ./app
COPY cli ./cli
COPY migrations ./migrations
COPY frontend ./frontend
RUN pip install --no-cache-dir -e . \
 && (cd frontend && npm ci --omit=dev --no-audit --no-fund) \
 && useradd --system insight && mkdir -p var && chown insight var

ENV INSIGHT_HOST=0.0.0.0 \
    INSIGHT_PORT=8000 \
    INSIGHT_DATA_DIR=/data \
    INSIGHT_DATABASE_URL=duckdb:////srv/insight/var/insight.duckdb
EXPOSE 8000
USER insight
CMD ["insight", "serve"]
