"""Settings of the seed design (bench only): just Channels and a Redis channel layer."""

import os

SECRET_KEY = "bench-seed-design-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
ROOT_URLCONF = "bench.seed_settings"
urlpatterns: list = []
DATABASES: dict = {}
USE_TZ = True

# The same channel layer as the installation: channels-redis, PubSub unless
# REDIS_LAYER=core, against the redis-server the benchmark started.
_layer = os.environ.get("REDIS_LAYER", "pubsub")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": (
            "channels_redis.core.RedisChannelLayer"
            if _layer == "core"
            else "channels_redis.pubsub.RedisPubSubChannelLayer"
        ),
        "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
    }
}
