# The image fly.io (or any container host) runs. Built from the repository alone:
# dependencies, then the code, then static files collected and compressed at build
# time; the start command is the Procfile's web line (installation/serve.py reads it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8080

WORKDIR /app

# Dependencies first, so a code change does not reinstall them ([tool.setuptools]
# packages = []: installing the project installs its dependencies only).
COPY pyproject.toml ./
RUN pip install .

COPY . .

# The secret and host here exist only so settings load for collectstatic; the real
# ones are fly secrets, read when the server starts.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput -v0

# Not root. /data is where a volume goes if SQLite is used (SQLITE_PATH=/data/db.sqlite3).
RUN useradd --system --uid 10001 --no-create-home wall && mkdir /data && chown wall /data
USER wall

EXPOSE 8080
CMD ["python", "-m", "installation.serve"]
