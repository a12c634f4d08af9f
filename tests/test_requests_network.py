"""The gossip stage's measurements (kernels.requests.network): AEAD round trip and tamper detection, every UDP
method delivering every datagram intact across batch boundaries, argument checks, and sane costs."""
import math

import pytest

from kernels.registry import BackendUnavailable
from kernels.requests import network

pytestmark = pytest.mark.skipif(network.unavailable_reason() is not None,
                                reason=str(network.unavailable_reason()))


def _positive_finite(*values: float) -> bool:
    return all(math.isfinite(v) and v > 0 for v in values)


def _udp_or_skip(payload: int, datagrams: int, method: str, **kwargs) -> dict:
    """udp_costs, with a refused GSO turned into a skip that carries the kernel's reason."""
    try:
        return network.udp_costs(payload, datagrams, method, **kwargs)
    except BackendUnavailable as e:
        assert method == "gso" and str(e), "only gso may be refused, and always with a reason"
        pytest.skip(str(e))


@pytest.mark.parametrize("message_bytes, records", [(1, None), (1200, None), (1201, None), (100_000, None),
                                                    (5000, 3), (17, 17)])
def test_aead_round_trip_and_costs(message_bytes, records):
    # aead_costs itself opens every sealed packet, compares with the message and checks a flipped tag fails.
    r = network.aead_costs(message_bytes, records=records, repeats=5)
    assert r["records"] == (records or math.ceil(message_bytes / network.QUIC_PAYLOAD_BYTES))
    assert r["record_bytes"] == math.ceil(message_bytes / r["records"])
    assert _positive_finite(r["seal_s"], r["open_s"], r["harness_s"], r["harness_s_per_call"], r["bulk_seal_s"])
    assert r["per_call_setup_s"] >= 0
    assert r["seal_s_net"] == pytest.approx(r["seal_s"] - r["harness_s"])
    assert r["open_s_net"] == pytest.approx(r["open_s"] - r["harness_s"])


def test_aead_tamper_detection_is_checked(monkeypatch):
    """If an AEAD accepted a flipped tag, aead_costs would refuse to report."""
    from cryptography.hazmat.primitives.ciphers import aead as aead_module

    real = aead_module.AESGCM

    class NoTagCheck:
        """Seals for real, but opens by looking the ciphertext up, ignoring its tag."""
        generate_key = staticmethod(real.generate_key)

        def __init__(self, key):
            self._aead, self._plain = real(key), {}

        def encrypt(self, nonce, data, associated_data):
            sealed = self._aead.encrypt(nonce, data, associated_data)
            self._plain[(nonce, sealed[:-16])] = data
            return sealed

        def decrypt(self, nonce, data, associated_data):
            return self._plain[(nonce, data[:-16])]

    monkeypatch.setattr(aead_module, "AESGCM", NoTagCheck)
    with pytest.raises(RuntimeError, match="flipped tag"):
        network.aead_costs(3000, repeats=1)


@pytest.mark.parametrize("method", network.METHODS)
@pytest.mark.parametrize("payload", [1, 1200, 1452])
def test_udp_delivers_every_datagram(method, payload):
    for datagrams in (1, 2, 63, 64, 65, 129):
        r = _udp_or_skip(payload, datagrams, method)
        assert r["datagrams_checked"] == datagrams and r["timing"] == "compiled" and r["address"] == "127.0.0.1"
        assert _positive_finite(r["send_s"], r["recv_s"], r["bytes_per_s"])


@pytest.mark.parametrize("method", network.METHODS)
def test_udp_large_payloads_and_small_batches(method):
    for payload, datagrams, batch in ((9000, 20, 64), (65507, 3, 64), (1200, 65, 7), (1200, 10, 1)):
        r = _udp_or_skip(payload, datagrams, method, batch=batch)
        assert r["datagrams_checked"] == datagrams


def test_udp_rounds_larger_than_the_receive_buffer():
    """More datagrams than one round holds are sent in rounds, none dropped."""
    r = network.udp_costs(1452, 3000, "mmsg")
    assert r["datagrams_checked"] == 3000


def test_udp_drops_are_reported(monkeypatch):
    """A receive buffer too small for the round drops datagrams: an error naming the drop, never a silent pass."""
    monkeypatch.setattr(network, "RCVBUF_REQUEST", 4096)
    monkeypatch.setattr(network, "_round_size", lambda payload, rcvbuf: 256)
    with pytest.raises(RuntimeError, match="dropped"):
        network.udp_costs(1200, 256, "mmsg")


def test_round_check_finds_a_changed_byte():
    import numpy as np

    r = network._Round(1200, 3, np.random.default_rng(1))
    r.lengths[:] = 1200
    for i in range(3):
        r.received[i * r.slot:i * r.slot + 1200] = r.sent[i * 1200:(i + 1) * 1200]
    r.check()
    r.received[r.slot + 7] ^= 1
    with pytest.raises(RuntimeError, match="datagram 1 of 3"):
        r.check()
    r.received[r.slot + 7] ^= 1
    r.lengths[2] = 1201
    with pytest.raises(RuntimeError, match="datagram 2 of 3"):
        r.check()


@pytest.mark.parametrize("payload, datagrams, method, argument", [
    (0, 1, "sendmsg", "payload"), (65508, 1, "mmsg", "payload"), (1200, -1, "gso", "datagrams"),
    (1200, 0, "sendmsg", "datagrams"), (1200, 1, "sendfile", "method"), (1200, 1, "mmsg", "batch"),
])
def test_udp_bad_arguments(payload, datagrams, method, argument):
    kwargs = {"batch": 0} if argument == "batch" else {}
    with pytest.raises(ValueError, match=argument):
        network.udp_costs(payload, datagrams, method, **kwargs)


def test_gso_works_or_says_why():
    try:
        r = network.udp_costs(1200, 128, "gso")
    except BackendUnavailable as e:
        assert "UDP GSO" in str(e)
    else:
        assert r["batch"] == 54 and r["datagrams_checked"] == 128  # 54 * 1200 B fits one 65507-byte datagram


def test_mmsg_costs_no_more_than_sendmsg():
    """Batching must not cost more per datagram; loose bound (a noisy 2-core VM), best of three runs each."""
    def best(method: str) -> float:
        return min(sum(network.udp_costs(1200, 2048, method)[k] for k in ("send_s", "recv_s")) for _ in range(3))

    assert best("mmsg") <= 2 * best("sendmsg")


def test_gossip_message_costs():
    r = network.gossip_message_costs(5000, peers=12)
    assert r["packets_per_peer"] == 5 and r["payload_bytes"] == 1200 and r["aead"]["records"] == 5
    for method in network.METHODS:
        m = r["methods"][method]
        if "error" in m:
            assert method == "gso" and m["error"]
            continue
        assert _positive_finite(m["sender_s"], m["receiver_s"], m["sender_syscall_s"], m["receiver_syscall_s"])
        assert m["sender_s"] == pytest.approx(m["sender_aead_s"] + m["sender_syscall_s"])
        assert m["sender_syscall_s"] == pytest.approx(12 * 5 * m["send_s_per_datagram"])
        assert m["receiver_s"] == pytest.approx(m["receiver_aead_s"] + 5 * m["recv_s_per_datagram"])
        assert _positive_finite(m["sender_s_prepared_key"], m["receiver_s_prepared_key"])
        assert m["sender_s_prepared_key"] == pytest.approx(12 * r["aead"]["bulk_seal_s"] + m["sender_syscall_s"])
    assert r["methods"]["gso"].get("batch", 5) == 5  # GSO batches one peer's packets only
    small = network.gossip_message_costs(100, peers=1)
    assert small["packets_per_peer"] == 1 and small["payload_bytes"] == 100


@pytest.mark.parametrize("message_bytes, peers, argument", [(0, 3, "message_bytes"), (10, 0, "peers")])
def test_gossip_bad_arguments(message_bytes, peers, argument):
    with pytest.raises(ValueError, match=argument):
        network.gossip_message_costs(message_bytes, peers)


def test_unavailable_reason_is_none_on_linux():
    import sys
    if sys.platform.startswith("linux"):
        assert network.unavailable_reason() is None
