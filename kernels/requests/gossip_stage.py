"""The gossip stage as rows: an ingress message reaches the other n - 1 nodes, so per message and per node a
node seals and sends it to n - 1 peers for 1/n of the messages (those it received from clients) and receives
and opens it for the other (n - 1)/n (kernels.requests.network measures both ends on loopback UDP).
"""
from __future__ import annotations

import numpy as np

from .network import gossip_message_costs
from .stages import derived_row

# library: one sendmsg per datagram and cryptography's per-packet AEAD (what a plain stack pays per call);
# best: the cheapest measured batching (sendmmsg or UDP GSO) and the AEAD at its streaming rate (a kept context).
PATHS = {"library": ("sendmsg", ""), "best": (None, "_prepared_key")}


def _node_share(costs: dict, method: str, suffix: str, nodes: int) -> float:
    m = costs["methods"][method]
    return (m["sender_s" + suffix] + (nodes - 1) * m["receiver_s" + suffix]) / nodes


def _node_syscalls(m: dict, nodes: int) -> float:
    return (m["sender_syscall_s"] + (nodes - 1) * m["receiver_syscall_s"]) / nodes


def gossip_rows(workload: str, kind: str, reqs: list, nodes: int) -> list:
    """Rows of the gossip stage per message per node for the median message size of `reqs`."""
    size = int(np.median([len(r.body) for r in reqs]))
    costs = gossip_message_costs(size, nodes - 1)
    usable = [m for m, v in costs["methods"].items() if "error" not in v]
    rows = []
    for path, (method, suffix) in PATHS.items():
        method = method or min(usable, key=lambda m: _node_share(costs, m, suffix, nodes))
        m = costs["methods"][method]
        note = (f"{size} B message, {costs['packets_per_peer']} packet(s) per peer, {nodes} nodes: seal + send to "
                f"{nodes - 1} peers for 1/{nodes} of messages, receive + open for the rest; UDP {method} "
                f"({m['timing']}), AEAD {'streaming rate' if suffix else 'per-packet library calls'}")
        aead = _node_share(costs, method, suffix, nodes) - _node_syscalls(m, nodes)
        rows.append(derived_row("gossip aead", "gossip", workload, kind, path, "cryptography", aead, note,
                                timing="harness-subtracted"))
        rows.append(derived_row("gossip packets", "gossip", workload, kind, path, f"udp-{method}",
                                _node_syscalls(m, nodes), note, timing="compiled"))
    return rows
