# b24app image: web (gunicorn), worker and scheduler share it; no secrets inside.
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    B24APP_INSTANCE_PATH=/var/lib/b24app \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

RUN groupadd --system --gid 10001 b24app \
    && useradd --system --uid 10001 --gid b24app --home-dir /app --shell /usr/sbin/nologin b24app

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir b24app && touch b24app/__init__.py \
    && pip install . \
    && pip uninstall -y b24app \
    && rm -rf b24app build

COPY b24app ./b24app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY manifest ./manifest
COPY gunicorn.conf.py ./
# Editable, because b24app finds templates, static files and migrations next to
# its package folder (b24app.ROOT), which must stay /app.
RUN pip install --no-deps -e . \
    && mkdir -p /var/lib/b24app /tmp/prometheus \
    && chown b24app:b24app /var/lib/b24app /tmp/prometheus

USER b24app
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "b24app.wsgi:app"]
