"""Peer programs run beside the suite in the same process, recorded as `peer` rows: `openssl speed`.

`openssl speed -mr` prints machine-readable totals over all `-multi` processes:
`+F:<i>:<name>:<bytes/s>` per block size for digests, `+F6:<i>:<bits>:Ed25519:<sign/s>:<verify/s>` for EdDSA
and `+F4:<i>:<bits>:<sign/s>:<verify/s>` for ECDSA. Lines that start `Got:` are the children's partial counts.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from ..registry import BackendUnavailable

# what the suite asks openssl for -> (openssl algorithm name, the -mr record that holds the figure)
ALGORITHMS = {"sha256": ("sha256", "+F:"), "ed25519_verify": ("ed25519", "+F6:"),
              "ecdsa_p256_verify": ("ecdsap256", "+F4:")}


@dataclass(frozen=True)
class PeerRate:
    """Items per second a peer program reached, with what ran (its provenance)."""

    program: str  # "openssl speed"
    version: str  # "OpenSSL 3.0.19 27 Jan 2026"
    command: str  # the exact command line
    items_per_s: float
    processes: int


def openssl_version() -> str:
    """`openssl version`, or BackendUnavailable when the binary is missing."""
    if shutil.which("openssl") is None:
        raise BackendUnavailable("openssl speed: the openssl binary is not on PATH")
    return subprocess.run(["openssl", "version"], capture_output=True, text=True, timeout=30).stdout.strip()


def parse_speed(output: str, algorithm: str, message_bytes: int | None = None) -> float:
    """Items per second from `openssl speed -mr` output: messages/s for a digest at `message_bytes`,
    verifications/s for signatures. ValueError if the record is missing."""
    name, record = ALGORITHMS[algorithm]
    for line in output.splitlines():
        if not line.startswith(record):
            continue
        fields = line[len(record):].split(":")
        if record == "+F:" and fields[1] == name:
            return float(fields[2]) / message_bytes  # bytes per second at the single -bytes size asked for
        if record == "+F6:" and fields[2].lower() == name:
            return float(fields[4])
        if record == "+F4:":
            return float(fields[3])
    raise ValueError(f"no {record} record for {name} in openssl speed output")


def openssl_speed(algorithm: str, processes: int, seconds: int = 1, message_bytes: int | None = None) -> PeerRate:
    """Run `openssl speed -mr -multi <processes> -seconds <seconds> [-bytes N] <alg>` and return its rate.
    BackendUnavailable (with the reason) when openssl is missing, fails or prints no figure."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"no openssl speed mapping for {algorithm!r}; known: {', '.join(ALGORITHMS)}")
    version = openssl_version()
    name, _ = ALGORITHMS[algorithm]
    command = ["openssl", "speed", "-mr", "-multi", str(processes), "-seconds", str(seconds)]
    if message_bytes is not None:
        command += ["-bytes", str(message_bytes)]
    command.append(name)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60 + 10 * seconds)
        rate = parse_speed(done.stdout, algorithm, message_bytes)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as e:
        raise BackendUnavailable(f"openssl speed {name}: {e}") from e
    return PeerRate("openssl speed", version, " ".join(command), rate, processes)


def openssl_peer(algorithm: str, seconds: int, message_bytes: int | None = None) -> tuple[str, float] | None:
    """A target's `peer=`: (label with the version, items per second) of `openssl speed -multi <all cores>` run
    now, or None (the reason printed) where openssl cannot run here."""
    cores = os.cpu_count() or 1
    try:
        rate = openssl_speed(algorithm, cores, seconds, message_bytes)
    except BackendUnavailable as e:
        print(f"peer openssl speed not run: {e}")
        return None
    size = f" -bytes {message_bytes}" if message_bytes is not None else ""
    return f"openssl speed -multi {cores}{size} {ALGORITHMS[algorithm][0]} ({rate.version})", rate.items_per_s
