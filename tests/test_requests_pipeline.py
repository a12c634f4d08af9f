"""Requests served end to end (kernels.requests.pipeline): a mixed stream of good and bad requests, each bad one
a clear per-request rejection at its stage, and the stream goes on (the counter counts only the good ones)."""
import os

import pytest

from kernels import cbor
from kernels.requests import envelope, workloads
from kernels.requests.envelope import Rejection
from kernels.requests.execution import Canister
from kernels.requests.pipeline import Served, serve
from kernels.requests.senders import Sender
from kernels.requests.workloads import TLS_KEY, Request, seal_records

SENDER = Sender("ed25519", seed=1)


def request(method: str = "inc", arg: bytes = b"", kind: str = "update", expiry: int = workloads.EXPIRY_NS,
            nonce: bytes = b"n") -> Request:
    content = dict(workloads.content("counter", kind, arg, nonce), method_name=method, ingress_expiry=expiry)
    return sealed(envelope.build(SENDER, content), kind)


def sealed(body: bytes, kind: str = "update") -> Request:
    return Request("counter", kind, "ed25519", body, seal_records(body, TLS_KEY))


def bad_signature() -> Request:
    item = cbor.untagged(cbor.decode(request(nonce=b"sig").body))
    return sealed(cbor.self_described({**item, "sender_sig": bytes(64)}))


def test_a_mixed_stream_rejects_each_bad_request_and_goes_on():
    canister = Canister("counter", instruction_limit=100_000)
    stream = [request(nonce=b"1"), sealed(os.urandom(40)), request(expiry=workloads.NOW_NS - 1, nonce=b"2"),
              bad_signature(), request("fail", nonce=b"3"), request("burn", (10**9).to_bytes(8, "little"), nonce=b"4"),
              request("nope", nonce=b"5"), request(nonce=b"6"), request("read", kind="query", nonce=b"7")]
    out = serve(stream, canister)
    stages = [o.stage if isinstance(o, Rejection) else "served" for o in out]
    assert stages == ["served", "decode", "validate", "signatures", "execution", "execution", "execution",
                      "served", "served"]
    reasons = [o.reason for o in out if isinstance(o, Rejection)]
    assert "expired" in reasons[1] and "trapped" in reasons[3] and "instruction limit" in reasons[4]
    assert "nope" in reasons[5]
    assert out[7].reply == (2).to_bytes(8, "little")  # the trapped `fail` left no trace
    assert out[8].reply == (2).to_bytes(8, "little") and out[8].records


def test_responses_open_for_the_client():
    from kernels.requests.ingress import open_records
    from kernels.requests.responses import NODE_KEY_SEED

    (served,) = serve([request("read", kind="query", nonce=b"r")], Canister("counter"))
    assert isinstance(served, Served)
    body = open_records(served.records, NODE_KEY_SEED)
    item = cbor.untagged(cbor.decode(body))
    assert item["reply"]["arg"] == (0).to_bytes(8, "little") and len(item["signatures"][0]["signature"]) == 64


def test_an_empty_stream():
    assert serve([], Canister("counter")) == []


@pytest.mark.parametrize("workload", ["ledger", "kv"])
def test_workload_streams_are_served(workload):
    canister = Canister(workload)
    reqs = workloads.requests(workload, "query", 4)
    assert all(isinstance(o, Served) for o in serve(reqs, canister))
