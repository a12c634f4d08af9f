"""The gossip stage's costs, measured: what a node's CPU spends so that one ingress message reaches its peers.

Every ingress message travels to the other n - 1 nodes over QUIC (quinn + rustls: TLS 1.3, AES-256-GCM), so the
sender seals it once per peer (each connection has its own key) and every receiver opens it once; each of its
packets also crosses the kernel's UDP stack once on each side. A Smart NIC with TLS/QUIC offload removes the
AEAD; a user-level network stack (or GSO/batching) removes most of the per-packet syscall cost. Measured here:
- `aead_costs`: AES-256-GCM (`cryptography`'s AESGCM, OpenSSL) over a message cut into QUIC packets, with the
  Python call overhead timed on the same loop around a trivial function and reported beside the subtracted cost;
- `udp_costs`: loopback UDP per datagram for sendto/recvfrom, sendmmsg/recvmmsg and UDP GSO, the syscalls issued
  from Numba-compiled loops (libc through ctypes, timed with clock_gettime inside the compiled code);
- `gossip_message_costs`: the two combined into core-seconds on the sender and on each receiver.
Invariants: only 127.0.0.1 is ever addressed; every loop is bounded; sockets are closed in `finally`; every
datagram received is checked (count, length and bytes) and a missing one is an error, never a silent drop.
On loopback the receiver's IP/UDP processing runs in the softirq of the sender's syscall, so `send_s` carries
part of the receive path and `recv_s` is little more than the copy out: the sum per datagram is the measured whole,
the split between the two ends is not (per node, gossip sends and receives alike, so the sum is what counts).
Not measured: QUIC header protection (one AES block per packet), ACKs, quinn's state machine, retransmissions.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno as errno_names
import math
import os
import socket
import statistics
import struct
import sys
import time
from collections.abc import Callable

import numpy as np
from numba import njit

from kernels.registry import BackendUnavailable

QUIC_PAYLOAD_BYTES = 1200  # RFC 9000 §14: every path must carry 1200-byte UDP payloads; quinn starts there
# (its initial MTU) and sends up to ~1452 B after path-MTU discovery on a 1500-byte Ethernet path.
QUIC_SHORT_HEADER_BYTES = 1 + 8 + 4  # RFC 9000 §17.3.1: flags, quinn's 8-byte connection ID, packet number;
# it is the AEAD's associated data (RFC 9001 §5.3)
AEAD_TAG_BYTES = 16
AEAD_REPEATS = 51  # medians over this many seals (and opens, and harness loops) of the whole message
MAX_AEAD_MESSAGE_BYTES = 64 << 20
BULK_SEAL_BYTES = 1 << 20  # one seal of this size gives the cipher's streaming rate

LOOPBACK = "127.0.0.1"  # the only address this module sends to
MAX_UDP_PAYLOAD = 65507  # 65535 - 20 (IPv4 header) - 8 (UDP header)
MAX_DATAGRAMS = 1 << 22
METHODS = ("sendmsg", "mmsg", "gso")
MMSG_BATCH = 64  # datagrams per sendmmsg/recvmmsg call
GSO_MAX_SEGMENTS = 64  # UDP_MAX_SEGMENTS in the kernel (include/linux/udp.h)
SOL_UDP = 17
UDP_SEGMENT = 103
MSG_WAITFORONE = 0x10000
CLOCK_MONOTONIC = 1
RCVBUF_REQUEST = 8 << 20  # the kernel caps it at net.core.rmem_max (and then doubles it)
RECEIVE_TIMEOUT_S = 1  # SO_RCVTIMEO: a datagram missing after this long is reported as dropped
ROUND_MAX_DATAGRAMS = 1024  # sent, then received and checked, per round
SKB_OVERHEAD_BYTES = 2048  # per queued datagram beyond its payload (sk_buff, shared info, slab rounding)


def unavailable_reason() -> str | None:
    """Why the UDP costs cannot be measured here, or None (Linux, 64-bit, libc with sendmmsg/recvmmsg)."""
    if not sys.platform.startswith("linux"):
        return f"UDP syscall timing needs Linux (sendmmsg, recvmmsg, UDP_SEGMENT), not {sys.platform}"
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        return "UDP syscall timing needs a 64-bit process (the msghdr layout)"
    if _LIBC is None:
        return "no C library found by ctypes.util.find_library('c')"
    missing = [name for name in _LIBC_FUNCTIONS if not hasattr(_LIBC, name)]
    return f"libc lacks {', '.join(missing)}" if missing else None


# ---------------------------------------------------------------------------------------------------------- AEAD

def _record_sizes(message_bytes: int, records: int) -> list[int]:
    """`records` sizes that sum to `message_bytes`, differing by at most one byte."""
    q, r = divmod(message_bytes, records)
    return [q + 1] * r + [q] * (records - r)


def _packet_headers(records: int) -> tuple[list[bytes], list[bytes]]:
    """Per packet: a 12-byte nonce (IV XOR packet number, RFC 9001 §5.3) and a short header as AAD."""
    iv = int.from_bytes(os.urandom(12), "big")
    nonces = [(iv ^ pn).to_bytes(12, "big") for pn in range(records)]
    aads = [bytes([0x43]) + b"\x5a" * 8 + pn.to_bytes(4, "big") for pn in range(records)]
    return nonces, aads


def _time_loop(fn: Callable, firsts: list[bytes], seconds: list[bytes], thirds: list[bytes]) -> float:
    """Seconds for one pass of `fn` over the packets, as the seal/open loop is written."""
    start = time.perf_counter_ns()
    [fn(a, b, c) for a, b, c in zip(firsts, seconds, thirds)]
    return (time.perf_counter_ns() - start) * 1e-9


def _trivial(nonce: bytes, data: bytes, aad: bytes) -> bytes:
    """The harness: a call with the seal's argument shapes that does nothing."""
    return data


def _check_aead(aead, message: bytes, nonces: list[bytes], sealed: list[bytes], aads: list[bytes]) -> None:
    """The opened packets are the message, and a flipped tag bit is refused with InvalidTag."""
    from cryptography.exceptions import InvalidTag

    opened = b"".join(aead.decrypt(n, c, a) for n, c, a in zip(nonces, sealed, aads))
    if opened != message:
        raise RuntimeError("AES-256-GCM round trip: the opened packets differ from the message")
    tampered = sealed[0][:-1] + bytes([sealed[0][-1] ^ 1])
    try:
        aead.decrypt(nonces[0], tampered, aads[0])
    except InvalidTag:
        return
    raise RuntimeError("AES-256-GCM: a packet with a flipped tag bit was accepted")


def _bulk_seal_bytes_per_s(aead, repeats: int) -> float:
    """AES-256-GCM's streaming rate: median over single seals of BULK_SEAL_BYTES, where the per-call set-up
    (`cryptography` builds a cipher context and key schedule per call; rustls keeps them per key) is noise."""
    data, nonce, times = os.urandom(BULK_SEAL_BYTES), os.urandom(12), []
    for _ in range(max(3, repeats // 4)):
        start = time.perf_counter_ns()
        aead.encrypt(nonce, data, None)
        times.append((time.perf_counter_ns() - start) * 1e-9)
    return BULK_SEAL_BYTES / statistics.median(times)


def aead_costs(message_bytes: int, records: int | None = None, repeats: int = AEAD_REPEATS) -> dict:
    """Seconds to seal (sender, per peer) and open (receiver) one message with AES-256-GCM, packet by packet.

    records: how many QUIC packets the message is cut into (None: ceil(message_bytes / QUIC_PAYLOAD_BYTES)).
    `seal_s`/`open_s` are medians of the raw loop; `harness_s` the same loop calling a trivial function;
    `seal_s_net`/`open_s_net` the difference (what the AEAD costs through this library, per-call set-up included);
    `bulk_seal_s` the message's bytes at the streaming rate of one large seal, and `per_call_setup_s` the rest
    per packet: the part a stack that keeps its cipher context (rustls, a NIC) would not pay per packet."""
    from cryptography import __version__ as cryptography_version
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not 1 <= message_bytes <= MAX_AEAD_MESSAGE_BYTES:
        raise ValueError(f"message_bytes must be in 1..{MAX_AEAD_MESSAGE_BYTES}, not {message_bytes}")
    records = math.ceil(message_bytes / QUIC_PAYLOAD_BYTES) if records is None else records
    if not 1 <= records <= message_bytes:
        raise ValueError(f"records must be in 1..message_bytes ({message_bytes}), not {records}")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, not {repeats}")
    message = os.urandom(message_bytes)
    cuts = np.cumsum([0] + _record_sizes(message_bytes, records))
    plain = [message[cuts[i]:cuts[i + 1]] for i in range(records)]
    nonces, aads = _packet_headers(records)
    aead = AESGCM(AESGCM.generate_key(bit_length=256))
    sealed = [aead.encrypt(n, p, a) for n, p, a in zip(nonces, plain, aads)]
    _check_aead(aead, message, nonces, sealed, aads)
    times: dict[str, list[float]] = {"seal": [], "open": [], "harness": []}
    for _ in range(repeats):  # interleaved, so a slow spell of the VM hits all three alike
        times["seal"].append(_time_loop(aead.encrypt, nonces, plain, aads))
        times["open"].append(_time_loop(aead.decrypt, nonces, sealed, aads))
        times["harness"].append(_time_loop(_trivial, nonces, plain, aads))
    seal, open_, harness = (statistics.median(times[k]) for k in ("seal", "open", "harness"))
    bulk = message_bytes / _bulk_seal_bytes_per_s(aead, repeats)
    return {
        "message_bytes": message_bytes, "records": records, "record_bytes": max(_record_sizes(message_bytes, records)),
        "aad_bytes": QUIC_SHORT_HEADER_BYTES, "tag_bytes": AEAD_TAG_BYTES, "repeats": repeats,
        "seal_s": seal, "open_s": open_, "harness_s": harness, "harness_s_per_call": harness / records,
        "seal_s_net": seal - harness, "open_s_net": open_ - harness,
        "seal_bytes_per_s": message_bytes / max(seal - harness, 1e-12),
        "open_bytes_per_s": message_bytes / max(open_ - harness, 1e-12),
        "bulk_seal_s": bulk, "bulk_seal_bytes_per_s": message_bytes / bulk,
        "bulk_seal_sample_bytes": BULK_SEAL_BYTES,
        "per_call_setup_s": max(seal - harness - bulk, 0.0) / records,
        "library": f"cryptography {cryptography_version} AESGCM",
    }


# ------------------------------------------------------------------------------------------- libc through ctypes

_SIZE, _SSIZE, _INT, _UINT = ctypes.c_size_t, ctypes.c_ssize_t, ctypes.c_int, ctypes.c_uint
# Pointers are declared as size_t, so the compiled loops pass addresses as plain integers.
_LIBC_FUNCTIONS = {
    "sendto": ([_INT, _SIZE, _SIZE, _INT, _SIZE, ctypes.c_uint32], _SSIZE),
    "recvfrom": ([_INT, _SIZE, _SIZE, _INT, _SIZE, _SIZE], _SSIZE),
    "sendmmsg": ([_INT, _SIZE, _UINT, _INT], _INT),
    "recvmmsg": ([_INT, _SIZE, _UINT, _INT, _SIZE], _INT),
    "clock_gettime": ([_INT, _SIZE], _INT),
    "__errno_location": ([], _SIZE),
    "memcpy": ([_SIZE, _SIZE, _SIZE], _SIZE),
}


def _load_libc():
    """libc with the functions above typed for Numba, or None."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    libc = ctypes.CDLL(name)
    for fname, (argtypes, restype) in _LIBC_FUNCTIONS.items():
        if hasattr(libc, fname):
            function = getattr(libc, fname)
            function.argtypes, function.restype = argtypes, restype
    return libc


_LIBC = _load_libc()
if unavailable_reason() is None:
    _sendto, _recvfrom = _LIBC.sendto, _LIBC.recvfrom
    _sendmmsg, _recvmmsg = _LIBC.sendmmsg, _LIBC.recvmmsg
    _clock_gettime, _errno_location, _memcpy = _LIBC.clock_gettime, _LIBC.__errno_location, _LIBC.memcpy


class _Iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32), ("msg_iov", ctypes.c_void_p),
                ("msg_iovlen", ctypes.c_size_t), ("msg_control", ctypes.c_void_p),
                ("msg_controllen", ctypes.c_size_t), ("msg_flags", ctypes.c_int)]


class _Mmsghdr(ctypes.Structure):
    _fields_ = [("msg_hdr", _Msghdr), ("msg_len", ctypes.c_uint)]


# Each compiled loop writes its start and end times (struct timespec) at `clock` and `clock + 16`, and on a failed
# call copies errno to `err`; it returns how many datagrams it completed (from `done`), so EINTR can resume it.

@njit(nogil=True)
def _send_each(fd, base, payload, done, count, addr, addrlen, clock, err):
    _clock_gettime(CLOCK_MONOTONIC, clock)
    while done < count:
        if _sendto(fd, base + done * payload, payload, 0, addr, addrlen) != payload:
            _memcpy(err, _errno_location(), 4)
            break
        done += 1
    _clock_gettime(CLOCK_MONOTONIC, clock + 16)
    return done


@njit(nogil=True)
def _recv_each(fd, base, slot, done, count, lengths, clock, err):
    _clock_gettime(CLOCK_MONOTONIC, clock)
    while done < count:
        n = _recvfrom(fd, base + done * slot, slot, 0, 0, 0)
        if n < 0:
            _memcpy(err, _errno_location(), 4)
            break
        lengths[done] = n
        done += 1
    _clock_gettime(CLOCK_MONOTONIC, clock + 16)
    return done


@njit(nogil=True)
def _send_gso(fd, base, payload, done, count, segments, addr, addrlen, clock, err):
    _clock_gettime(CLOCK_MONOTONIC, clock)
    while done < count:
        k = min(segments, count - done)
        if _sendto(fd, base + done * payload, k * payload, 0, addr, addrlen) != k * payload:
            _memcpy(err, _errno_location(), 4)
            break
        done += k
    _clock_gettime(CLOCK_MONOTONIC, clock + 16)
    return done


@njit(nogil=True)
def _mmsg_loop(receive, fd, vec, entry, done, count, batch, clock, err):
    _clock_gettime(CLOCK_MONOTONIC, clock)
    while done < count:
        k = min(batch, count - done)
        if receive:
            n = _recvmmsg(fd, vec + done * entry, k, MSG_WAITFORONE, 0)
        else:
            n = _sendmmsg(fd, vec + done * entry, k, 0)
        if n <= 0:
            _memcpy(err, _errno_location(), 4)
            break
        done += n
    _clock_gettime(CLOCK_MONOTONIC, clock + 16)
    return done


# ------------------------------------------------------------------------------------------------- loopback UDP

def _check_udp_arguments(payload: int, datagrams: int, method: str, batch: int) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not 1 <= payload <= MAX_UDP_PAYLOAD:
        raise ValueError(f"payload must be in 1..{MAX_UDP_PAYLOAD} bytes, not {payload}")
    if not 1 <= datagrams <= MAX_DATAGRAMS:
        raise ValueError(f"datagrams must be in 1..{MAX_DATAGRAMS} (a per-datagram cost needs one), not {datagrams}")
    if not 1 <= batch <= MMSG_BATCH:
        raise ValueError(f"batch must be in 1..{MMSG_BATCH}, not {batch}")


def _loopback_pair() -> tuple[socket.socket, socket.socket, int]:
    """A blocking receiver on 127.0.0.1 with a large buffer and a receive timeout, a sender, the buffer size."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for s in (rx, tx):
            s.setblocking(True)  # the compiled loops call libc on the descriptor: it must not be O_NONBLOCK
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF_REQUEST)
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("@ll", RECEIVE_TIMEOUT_S, 0))
        tx.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, RCVBUF_REQUEST)
        rx.bind((LOOPBACK, 0))
        return rx, tx, rx.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    except BaseException:
        rx.close()
        tx.close()
        raise


def _sockaddr_in(port: int) -> ctypes.Array:
    """struct sockaddr_in for 127.0.0.1:port."""
    raw = struct.pack("=H", socket.AF_INET) + struct.pack("!H4s8x", port, socket.inet_aton(LOOPBACK))
    return ctypes.create_string_buffer(raw, len(raw))


def _gso_segments(payload: int, batch: int) -> int:
    """Datagrams per GSO send: the kernel's segment cap, the batch, and one UDP datagram's 65507-byte limit."""
    return max(1, min(GSO_MAX_SEGMENTS, batch, MAX_UDP_PAYLOAD // payload))


def _enable_gso(tx: socket.socket, payload: int) -> None:
    try:
        tx.setsockopt(SOL_UDP, UDP_SEGMENT, payload)
    except OSError as e:
        raise BackendUnavailable(f"UDP GSO refused by the kernel: setsockopt(UDP_SEGMENT) failed with "
                                 f"{errno_names.errorcode.get(e.errno, e.errno)} ({e.strerror})") from e


def _round_size(payload: int, rcvbuf: int) -> int:
    """Datagrams per round so the receive buffer holds them all (no drops while the sender runs ahead)."""
    return max(1, min(ROUND_MAX_DATAGRAMS, rcvbuf // (2 * (payload + SKB_OVERHEAD_BYTES))))


def _mmsg_vector(base: int, stride: int, length: int, count: int, name=None) -> tuple:
    """An array of `count` mmsghdr, message i one iovec at base + i * stride of `length` bytes."""
    iovecs = (_Iovec * count)()
    vec = (_Mmsghdr * count)()
    for i in range(count):
        iovecs[i].iov_base, iovecs[i].iov_len = base + i * stride, length
        hdr = vec[i].msg_hdr
        hdr.msg_iov, hdr.msg_iovlen = ctypes.addressof(iovecs[i]), 1
        if name is not None:
            hdr.msg_name, hdr.msg_namelen = ctypes.addressof(name), ctypes.sizeof(name)
    return vec, iovecs


class _Round:
    """One round's buffers: what is sent, slots for what is received (one byte longer, so truncation shows)."""

    def __init__(self, payload: int, count: int, rng: np.random.Generator):
        self.payload, self.count, self.slot = payload, count, payload + 1
        self.sent = rng.integers(0, 256, count * payload, dtype=np.uint8)
        self.received = np.zeros(count * self.slot, dtype=np.uint8)
        self.lengths = np.full(count, -1, dtype=np.int64)

    def check(self) -> None:
        """Every datagram arrived, with its length and bytes, in order."""
        bad = np.flatnonzero(self.lengths != self.payload)
        if bad.size == 0:
            got = self.received.reshape(self.count, self.slot)[:, :self.payload]
            bad = np.flatnonzero((got != self.sent.reshape(self.count, self.payload)).any(axis=1))
        if bad.size:
            raise RuntimeError(f"datagram {bad[0]} of {self.count} ({self.payload} B) arrived wrong: "
                               f"length {self.lengths[bad[0]]}, {bad.size} bad in this round")


def _run_resumable(loop: Callable[[int, int, int], int], count: int, what: str) -> int:
    """Runs a compiled loop until `count` datagrams are done, resuming after EINTR; returns nanoseconds spent."""
    clock = np.zeros(4, dtype=np.int64)  # two struct timespec
    err = np.zeros(1, dtype=np.int32)
    done, spent = 0, 0
    for _ in range(count + 1):  # each call completes at least one datagram unless it fails
        done = loop(done, clock.ctypes.data, err.ctypes.data)
        spent += (clock[2] - clock[0]) * 1_000_000_000 + (clock[3] - clock[1])
        if done >= count:
            return int(spent)
        if err[0] != errno_names.EINTR:
            break
    code = int(err[0])
    if code in (errno_names.EAGAIN, errno_names.EWOULDBLOCK):
        raise RuntimeError(f"{what}: {count - done} of {count} datagrams missing after {RECEIVE_TIMEOUT_S} s "
                           f"(dropped; the receive buffer is too small for the round)")
    raise RuntimeError(f"{what} failed after {done} of {count} datagrams: "
                       f"{errno_names.errorcode.get(code, code)} ({os.strerror(code)})")


def _send_round(method: str, tx: socket.socket, r: _Round, name, batch: int) -> int:
    """Sends the round's datagrams to `name`; nanoseconds in the syscalls."""
    fd, base, addrlen, addr = tx.fileno(), r.sent.ctypes.data, ctypes.sizeof(name), ctypes.addressof(name)
    segments = _gso_segments(r.payload, batch)
    vec, iovecs = _mmsg_vector(base, r.payload, r.payload, r.count, name) if method == "mmsg" else (None, None)
    # (iovecs: the headers point at them; they must live until the loop returns)

    def loop(done: int, clock: int, err: int) -> int:
        if method == "sendmsg":
            return _send_each(fd, base, r.payload, done, r.count, addr, addrlen, clock, err)
        if method == "gso":
            return _send_gso(fd, base, r.payload, done, r.count, segments, addr, addrlen, clock, err)
        return _mmsg_loop(False, fd, ctypes.addressof(vec), ctypes.sizeof(_Mmsghdr), done, r.count, batch, clock, err)

    try:
        return _run_resumable(loop, r.count, f"{method} send")
    except RuntimeError as e:
        if method == "gso":
            raise BackendUnavailable(f"UDP GSO send refused by the kernel: {e}") from e
        raise


def _receive_round(method: str, rx: socket.socket, r: _Round, batch: int) -> int:
    """Receives the round's datagrams into their slots (recvfrom for sendmsg, else recvmmsg); nanoseconds."""
    fd, base = rx.fileno(), r.received.ctypes.data
    if method == "sendmsg":
        return _run_resumable(lambda done, clock, err: _recv_each(fd, base, r.slot, done, r.count, r.lengths, clock,
                                                                  err), r.count, "recvfrom")
    vec, iovecs = _mmsg_vector(base, r.slot, r.slot, r.count)  # iovecs must outlive the loop, as above
    entry, vaddr = ctypes.sizeof(_Mmsghdr), ctypes.addressof(vec)
    ns = _run_resumable(lambda done, clock, err: _mmsg_loop(True, fd, vaddr, entry, done, r.count, batch, clock, err),
                        r.count, f"{method} receive (recvmmsg)")
    r.lengths[:] = [vec[i].msg_len for i in range(r.count)]
    return ns


def _measure_rounds(method: str, payload: int, datagrams: int, batch: int) -> tuple[int, int, int]:
    """Sends and receives `datagrams` in rounds, checking each; (send ns, receive ns, rcvbuf)."""
    rng = np.random.default_rng()
    rx, tx, rcvbuf = _loopback_pair()
    try:
        if method == "gso":
            _enable_gso(tx, payload)
        name = _sockaddr_in(rx.getsockname()[1])
        per_round = _round_size(payload, rcvbuf)
        send_ns = recv_ns = 0
        for start in range(0, datagrams, per_round):
            r = _Round(payload, min(per_round, datagrams - start), rng)
            send_ns += _send_round(method, tx, r, name, batch)
            recv_ns += _receive_round(method, rx, r, batch)
            r.check()
        return send_ns, recv_ns, rcvbuf
    finally:
        rx.close()
        tx.close()


def udp_costs(payload: int, datagrams: int, method: str, *, batch: int = MMSG_BATCH) -> dict:
    """Per-datagram kernel cost of loopback UDP: seconds per datagram sent and received, and bytes per second.

    method: "sendmsg" (one sendto and one recvfrom per datagram), "mmsg" (sendmmsg/recvmmsg, `batch` per call)
    or "gso" (UDP_SEGMENT: one send of up to `batch` segments, received with recvmmsg). datagrams >= 1 (0 is a
    ValueError: there is no per-datagram cost of nothing). The syscalls run from Numba-compiled loops and are
    timed there (`timing: "compiled"`). On loopback `send_s` includes the receiver's protocol processing (see
    the module header): compare `send_s + recv_s` across methods. Raises BackendUnavailable if this OS or kernel
    cannot (gso refused); RuntimeError if a datagram is missing or differs."""
    _check_udp_arguments(payload, datagrams, method, batch)
    reason = unavailable_reason()
    if reason is not None:
        raise BackendUnavailable(reason)
    _measure_rounds(method, payload, min(datagrams, 2 * MMSG_BATCH), batch)  # compile, warm up
    send_ns, recv_ns, rcvbuf = _measure_rounds(method, payload, datagrams, batch)
    send_s, recv_s = send_ns * 1e-9 / datagrams, recv_ns * 1e-9 / datagrams
    return {
        "method": method, "payload_bytes": payload, "datagrams": datagrams, "datagrams_checked": datagrams,
        "batch": 1 if method == "sendmsg" else (_gso_segments(payload, batch) if method == "gso" else batch),
        "send_s": send_s, "recv_s": recv_s,
        "send_bytes_per_s": payload / send_s if send_s > 0 else math.inf,
        "recv_bytes_per_s": payload / recv_s if recv_s > 0 else math.inf,
        "bytes_per_s": payload / (send_s + recv_s) if send_s + recv_s > 0 else math.inf,
        "rcvbuf_bytes": rcvbuf, "timing": "compiled", "address": LOOPBACK,
    }


# ----------------------------------------------------------------------------------------------------- combined

GOSSIP_SAMPLE_DATAGRAMS = (512, 8192)  # datagrams timed per method: at least (stable), at most (bounded time)
GOSSIP_UDP_REPEATS = 3  # the fastest of these runs per method: a preempted run on a shared VM is not the cost


def _sample_datagrams(packets_total: int) -> int:
    low, high = GOSSIP_SAMPLE_DATAGRAMS
    return max(low, min(high, packets_total))


def gossip_message_costs(message_bytes: int, peers: int) -> dict:
    """Core-seconds one ingress message costs its sender and each receiver, per UDP method.

    The sender seals it once per peer and sends packets_per_peer = ceil(message_bytes / QUIC_PAYLOAD_BYTES)
    datagrams to each; each receiver receives those packets and opens the message once. Batches are what one
    message allows: mmsg batches across all peers' packets, GSO only within one peer's (one destination); each
    method's UDP figures are the fastest of GOSSIP_UDP_REPEATS runs.
    AEAD figures are the harness-subtracted ones (compiled code pays no Python call), which still include
    `cryptography`'s cipher set-up per packet; `*_prepared_key` use the streaming rate instead (a stack that
    keeps its cipher context, as rustls does). A method the kernel refuses appears with an `error` and no costs."""
    if message_bytes < 1:
        raise ValueError(f"message_bytes must be >= 1, not {message_bytes}")
    if peers < 1:
        raise ValueError(f"peers must be >= 1, not {peers}")
    payload = min(QUIC_PAYLOAD_BYTES, message_bytes)
    packets = math.ceil(message_bytes / payload)
    aead = aead_costs(message_bytes)
    batches = {"sendmsg": 1, "mmsg": min(MMSG_BATCH, packets * peers), "gso": min(GSO_MAX_SEGMENTS, packets)}
    methods: dict[str, dict] = {}
    for method, batch in batches.items():
        try:
            udp = min((udp_costs(payload, _sample_datagrams(packets * peers), method, batch=batch)
                       for _ in range(GOSSIP_UDP_REPEATS)), key=lambda u: u["send_s"] + u["recv_s"])
        except BackendUnavailable as e:
            methods[method] = {"error": str(e)}
            continue
        sender_syscalls, receiver_syscalls = peers * packets * udp["send_s"], packets * udp["recv_s"]
        sender_aead, receiver_aead = peers * aead["seal_s_net"], aead["open_s_net"]
        streaming = aead["bulk_seal_s"]  # a prepared key's cost per seal or open of the message (open ~ seal)
        methods[method] = {
            "sender_s": sender_aead + sender_syscalls, "receiver_s": receiver_aead + receiver_syscalls,
            "sender_s_prepared_key": peers * streaming + sender_syscalls,
            "receiver_s_prepared_key": streaming + receiver_syscalls,
            "sender_aead_s": sender_aead, "sender_syscall_s": sender_syscalls,
            "receiver_aead_s": receiver_aead, "receiver_syscall_s": receiver_syscalls,
            "send_s_per_datagram": udp["send_s"], "recv_s_per_datagram": udp["recv_s"],
            "batch": udp["batch"], "timing": udp["timing"], "datagrams_checked": udp["datagrams_checked"],
        }
    return {"message_bytes": message_bytes, "peers": peers, "payload_bytes": payload,
            "packets_per_peer": packets, "aead": aead, "methods": methods,
            "note": "loopback: the receivers' UDP/IP processing is timed inside the sender's send syscalls, so "
                    "sender_syscall_s overstates and receiver_syscall_s understates each end; their sum is right"}
