"""The token service's guards alone: the rate limiter's refill and memory bound, and the client's IP."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request

from web import guards
from web.guards import RateLimiter, client_ip, origin_allowed, parse_origins


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_refills_at_the_rate_per_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(6, clock=clock)
    assert all(limiter.allow("1.2.3.4") for _ in range(6))
    assert not limiter.allow("1.2.3.4")
    assert limiter.allow("5.6.7.8")  # each client has its own bucket
    assert limiter.retry_after_s("1.2.3.4") == 10
    clock.now = 10.0  # one request's worth at 6 a minute
    assert limiter.allow("1.2.3.4")
    assert not limiter.allow("1.2.3.4")


def test_a_flood_of_addresses_cannot_grow_memory(monkeypatch) -> None:
    monkeypatch.setattr(guards, "MAX_TRACKED_CLIENTS", 100)
    limiter = RateLimiter(5)
    for n in range(1000):
        limiter.allow(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._buckets) == 100


def test_forwarded_for_counts_only_when_trusted() -> None:
    request = make_mocked_request("POST", "/api/token", headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
    assert client_ip(request, trust_forwarded_for=True) == "203.0.113.9"
    assert client_ip(request, trust_forwarded_for=False) != "203.0.113.9"


def test_origins() -> None:
    allowed = parse_origins("https://shop.example.com/, https://B.example.com")
    assert allowed == {"https://shop.example.com", "https://b.example.com"}
    request = make_mocked_request(
        "POST", "/api/token", headers={"Host": "calls.example.com", "Origin": "https://b.example.com"}
    )
    assert origin_allowed(request, allowed)
    same_host = make_mocked_request(
        "POST", "/api/token", headers={"Host": "calls.example.com", "Origin": "https://calls.example.com"}
    )
    assert origin_allowed(same_host, frozenset())
    other = make_mocked_request(
        "POST", "/api/token", headers={"Host": "calls.example.com", "Origin": "https://x.net"}
    )
    assert not origin_allowed(other, allowed) and origin_allowed(other, frozenset({"*"}))
    assert origin_allowed(make_mocked_request("POST", "/api/token"), frozenset())  # not from a page
