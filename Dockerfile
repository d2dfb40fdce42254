# The server image: slim, pinned, non-root, gunicorn as PID 1.
# Build: docker build -t mcp-server .   Run migrations once per release:
#   docker run --env-file .env mcp-server flask --app wsgi db upgrade
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    GUNICORN_BIND=0.0.0.0:8000

WORKDIR /srv
RUN useradd --system --uid 10001 --home-dir /srv app

COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY app/ app/
COPY config/ config/
COPY templates/ templates/
COPY migrations/ migrations/
COPY wsgi.py gunicorn.conf.py ./
RUN mkdir instance && chown app:app instance

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"]
