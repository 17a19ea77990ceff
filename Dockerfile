FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/carecase carecase

COPY pyproject.toml README.md ./
COPY carecase carecase
COPY org org
RUN pip install .
COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-runtime-secret-0123456789 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var && chown -R carecase /app/var

USER carecase
EXPOSE 8000
CMD ["gunicorn", "carecase.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
