FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_ENV=production SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-000000000 \
    python manage.py collectstatic --noinput
RUN useradd --create-home crm && chown -R crm /app
USER crm
EXPOSE 8000
CMD ["gunicorn", "accounts_crm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
