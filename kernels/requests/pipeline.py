"""Requests served end to end, one after another, as a node would: ingress (kernels.requests.ingress), execution
in the workload's canister, and the response sealed for the client. Every failure is that request's
`Rejection` (its stage and reason) and the next request is served as usual: malformed or expired envelopes,
bad signatures, a canister that traps or runs out of instructions, a method it does not have.
"""
from __future__ import annotations

from dataclasses import dataclass

from .envelope import Rejection
from .execution import Canister
from .ingress import Admitted, admit
from .responses import NODE_KEY_SEED, encode, query_response
from .workloads import NOW_NS, Request, seal_records


@dataclass(frozen=True)
class Served:
    """A request that got a reply: the reply bytes, the sealed response records, the instructions it used."""

    request_id: bytes
    reply: bytes
    records: tuple[bytes, ...]
    instructions: int | None


def _execute(canister: Canister, kind: str, admitted: Admitted) -> Served | Rejection:
    content = admitted.envelope["content"]
    run = canister.update if kind == "update" else canister.query
    outcome = run(content["method_name"], content["arg"], content["sender"])
    if outcome.reject:
        return Rejection("execution", outcome.reject)
    return Served(admitted.request_id, outcome.reply, (), outcome.instructions)


def _respond(kind: str, served: Served, node_key) -> Served:
    item = query_response(served.reply, served.request_id, NOW_NS, node_key) if kind == "query" else \
        {"status": "replied", "reply": {"arg": served.reply}}
    return Served(served.request_id, served.reply, seal_records(encode(item), NODE_KEY_SEED), served.instructions)


def serve(requests: list[Request], canister: Canister, path: str = "library", now_ns: int = NOW_NS
          ) -> list[Served | Rejection]:
    """Each request's outcome, in order: its response, or the Rejection that stopped it."""
    from nacl.signing import SigningKey

    node_key = SigningKey(NODE_KEY_SEED)
    out: list[Served | Rejection] = []
    for request, result in zip(requests, admit(requests, path, now_ns)):
        if isinstance(result, Admitted):
            result = _execute(canister, request.kind, result)
        out.append(_respond(request.kind, result, node_key) if isinstance(result, Served) else result)
    return out
