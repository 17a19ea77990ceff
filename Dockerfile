FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
       libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/carecase carecase

COPY pyproject.toml README.md ./
COPY carecase carecase
COPY org org
COPY children children
RUN pip install .
COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-runtime-secret-0123456789 \
    IDENTIFIER_KEYS=yW2B4820ftASbc5SgtoztJiSJuyWAa1Qr6B8FM-Y1yI= IDENTIFIER_HASH_KEY=build-only \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/metrics && chown -R carecase /app/var

USER carecase
EXPOSE 8000
# Workers, threads and bind address: gunicorn.conf.py (WEB_CONCURRENCY, GUNICORN_THREADS).
CMD ["gunicorn", "carecase.wsgi", "--config", "gunicorn.conf.py"]
