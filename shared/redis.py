"""Redis client with a blocking pool (waits for a connection instead of failing under load)."""

from redis.asyncio import BlockingConnectionPool, Redis


def create_redis(url: str, *, max_connections: int = 50) -> Redis:
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=5, socket_timeout=5, socket_connect_timeout=2
    )
    return Redis(connection_pool=pool)
