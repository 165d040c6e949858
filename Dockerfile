# Base image pinned to an exact patch release of Python 3.11 on Debian 12 (bookworm). For a fully
# immutable base also pin its digest: `docker buildx imagetools inspect python:3.11.13-slim-bookworm`
# and build with --build-arg PYTHON_IMAGE=python:3.11.13-slim-bookworm@sha256:<digest> (see README).
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# Exactly the runtime lock: every package pinned and checked against its sha256.
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY . .
# The translation catalogues are built here, not committed (gettext's msgfmt is needed only for this step).
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && DJANGO_ENV=production SECRET_KEY=build-only-compilemessages-key-not-used-at-runtime-00000000 \
       python manage.py compilemessages --ignore=.venv -v 0 \
    && apt-get purge -y gettext && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
RUN DJANGO_ENV=production SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-000000000 \
    python manage.py collectstatic --noinput
RUN useradd --create-home crm && chown -R crm /app
USER crm
EXPOSE 8000
CMD ["gunicorn", "accounts_crm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
