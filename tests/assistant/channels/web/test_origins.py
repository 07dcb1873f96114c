"""Origin policy: own origin and configured ones only."""

from __future__ import annotations

from assistant.channels.web.origins import OriginPolicy

OWN = "http://localhost:5005"


def test_own_origin_is_always_allowed() -> None:
    policy = OriginPolicy.from_list([])
    assert policy.permits({"origin": "http://localhost:5005"}, OWN)
    assert policy.permits({"origin": "HTTP://LOCALHOST:5005/"}, OWN)


def test_configured_origin_is_allowed_others_are_not() -> None:
    policy = OriginPolicy.from_list(["https://www.cedars-sinai.org", " "])
    assert policy.permits({"origin": "https://www.cedars-sinai.org"}, OWN)
    assert not policy.permits({"origin": "https://evil.example"}, OWN)
    assert not policy.permits({"origin": "null"}, OWN)


def test_requests_without_origin_must_come_from_our_site() -> None:
    policy = OriginPolicy.from_list([])
    assert policy.permits({"sec-fetch-site": "same-origin"}, OWN)
    assert policy.permits({}, OWN)  # not a browser (curl, tests)
    assert not policy.permits({"sec-fetch-site": "cross-site"}, OWN)
    assert not policy.permits({"sec-fetch-site": "same-site"}, OWN)
