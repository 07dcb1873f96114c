"""Which address a request came from, and over which scheme, when a reverse proxy may sit
in front (the staff console and the web chat channel).

``X-Forwarded-For`` and ``X-Forwarded-Proto`` are only believed when the direct peer (the
socket's other end) is one of the trusted proxies (``CONSOLE_TRUSTED_PROXIES``,
``WEB_TRUSTED_PROXIES``; Sanic's own ``PROXIES_COUNT`` trusts them on any connection and is
not used). The client
is then the rightmost ``X-Forwarded-For`` entry that is not itself a trusted proxy: entries
to its left were written by the client and prove nothing.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Iterable, List, Optional, Sequence, Tuple, Union

IPAddress = Union[IPv4Address, IPv6Address]
IPNetwork = Union[IPv4Network, IPv6Network]
TrustedProxies = Tuple[IPNetwork, ...]
FORWARDED_SCHEMES = frozenset({"http", "https"})


def parse_trusted_proxies(text: str) -> TrustedProxies:
    """Comma-separated addresses and networks (``127.0.0.1, 10.0.0.0/8, ::1``).

    Raises ``ValueError`` naming the entry that is neither."""
    networks: List[IPNetwork] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {entry!r}") from None
    return tuple(networks)


def parse_address(text: str) -> Optional[IPAddress]:
    """An address as proxies write it: ``1.2.3.4``, ``1.2.3.4:5678``, ``::1``, ``[::1]:5678``.

    IPv4 addresses mapped into IPv6 (``::ffff:1.2.3.4``) come back as IPv4."""
    entry = text.strip().strip('"')
    if entry.startswith("["):
        entry = entry[1:].split("]", 1)[0]
    elif entry.count(":") == 1:
        entry = entry.split(":", 1)[0]
    try:
        address = ip_address(entry)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Optional[IPAddress], trusted: TrustedProxies) -> bool:
    return address is not None and any(address in network for network in trusted)


def _entries(header_values: Iterable[str]) -> List[str]:
    """Every comma-separated entry of every copy of a header, in order."""
    return [entry.strip() for value in header_values for entry in value.split(",")]


def client_address(peer: str, forwarded_for: Sequence[str], trusted: TrustedProxies) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy.

    Behind trusted proxies, the entries of ``X-Forwarded-For`` are read from the right; the
    first one that is not a trusted proxy is the client. An entry that is not an address
    stops the walk at the last trusted hop (its address is used)."""
    hop = parse_address(peer)
    if hop is None:
        return peer
    if not is_trusted(hop, trusted):
        return str(hop)
    client = hop
    for entry in reversed(_entries(forwarded_for)):
        address = parse_address(entry)
        if address is None:
            break
        client = address
        if not is_trusted(address, trusted):
            break
    return str(client)


def request_scheme(
    peer: str, forwarded_proto: Sequence[str], direct: str, trusted: TrustedProxies
) -> str:
    """``http`` or ``https`` as the client used it: a trusted proxy's ``X-Forwarded-Proto``
    (its last entry, the one that proxy wrote), else the scheme of the direct connection."""
    if not is_trusted(parse_address(peer), trusted):
        return direct
    entries = [e.lower() for e in _entries(forwarded_proto) if e]
    return entries[-1] if entries and entries[-1] in FORWARDED_SCHEMES else direct
