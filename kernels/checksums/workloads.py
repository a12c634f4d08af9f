"""The checksum hot path's inputs, deterministic by seed (docs/REFERENCES.md section 1 for every shape used here):
NIC packets, IC ingress messages, 1 MiB state chunks, self-authenticating principals, and random buffers."""
from __future__ import annotations

import numpy as np

from ..random_data import random_bytes, random_messages

STATE_CHUNK_BYTES = 1 << 20  # state manifest chunk size
# Per-packet payloads a NIC checksums: a standard Ethernet MTU (IEEE 802.3), a jumbo frame, and the 64 KiB
# segments that TCP segmentation/receive offload hands the host (the IP total-length field caps them).
PACKET_BYTES = {"mtu-1500": 1500, "jumbo-9000": 9000, "segment-64KiB": 65536}
INGRESS_MAX_BYTES = 2 * 2**20  # ingress message up to 2 MiB (IC docs, dfinity/ic config)
INGRESS_MIN_BYTES = 100  # a call with a tiny Candid argument: envelope, sender, nonce, signature (assumed floor)
PRINCIPAL_BYTES = 29  # self-authenticating principal: SHA-224 of the public key (28 B) + 0x02


def state_bytes(total_bytes: int, seed: int = 0) -> np.ndarray:
    """Random bytes standing in for checkpoint state (checksum cost does not depend on content)."""
    return random_bytes(total_bytes, seed)


def buffers(size: int, total_bytes: int, seed: int = 0) -> list[bytes]:
    """max(1, total_bytes // size) random buffers of `size` bytes: many small buffers, or one large one."""
    count = max(1, total_bytes // size)
    data = state_bytes(count * size, seed).tobytes()
    return [data[i * size:(i + 1) * size] for i in range(count)] if count > 1 else [data]


def packets(count: int, packet_bytes: int, seed: int = 0) -> list[bytes]:
    """`count` random packets of `packet_bytes` each (checksum cost does not depend on content)."""
    return random_messages(count, packet_bytes, seed)


def ingress_message_sizes(count: int, seed: int = 0) -> np.ndarray:
    """Sizes of `count` ingress messages: log-uniform between 100 B and the 2 MiB limit (most are small, a few
    approach the limit), an assumed mix since the IC publishes no size distribution."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.uniform(np.log(INGRESS_MIN_BYTES), np.log(INGRESS_MAX_BYTES), count)).astype(np.int64)


def ingress_messages(count: int, seed: int = 0) -> list[bytes]:
    """`count` random ingress-message bodies with the sizes of `ingress_message_sizes`."""
    sizes = ingress_message_sizes(count, seed)
    data = np.random.default_rng(seed + 1).integers(0, 256, int(sizes.sum()), dtype=np.uint8).tobytes()
    ends = np.cumsum(sizes)
    return [data[e - s:e] for s, e in zip(sizes.tolist(), ends.tolist())]


def principals(count: int, seed: int = 0) -> list[bytes]:
    """`count` self-authenticating principals: 28 random bytes (standing in for SHA-224 of a key) + 0x02."""
    return [m + b"\x02" for m in random_messages(count, PRINCIPAL_BYTES - 1, seed)]
