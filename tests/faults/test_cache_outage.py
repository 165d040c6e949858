"""The cache backend used with REDIS_URL: an unreachable Redis means cache misses (and a warning), not errors."""

from __future__ import annotations

import logging

from core.cache import ResilientRedisCache
from tests.faults.conftest import free_port


def test_an_unreachable_redis_is_a_cache_miss_not_an_error(caplog):
    cache = ResilientRedisCache(f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {"socket_connect_timeout": 1}})
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        assert cache.get("stash", "missing") == "missing"
        assert cache.set("stash", b"data", 60) is None
        assert cache.add("stash", b"data") is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.has_key("stash") is False
        assert cache.delete("stash") is False
        assert cache.get_or_set("k", "fallback") == "fallback"
    assert "Cache unreachable" in caplog.text
