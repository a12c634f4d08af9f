"""`openssl speed -mr` output parsed into items per second, and the peer run itself where openssl exists."""
import shutil

import pytest

from kernels import BackendUnavailable
from kernels.measure.peer import openssl_speed, parse_speed

SHA256 = """Forked child 0
Got: +H:64 from 0
Got: +F:6:sha256:211857280.00 from 0
+H:64
+F:6:sha256:435798464.00
"""
ED25519 = "Got: +F6:0:253:Ed25519:12905.9:5424.0 from 0\n+F6:0:253:Ed25519:27343.940594:10318.000000\n"
ECDSA = "+F4:3:256:55764.000000:16708.000000\n"


def test_parse_totals_not_the_childrens_partial_counts():
    assert parse_speed(SHA256, "sha256", 64) == pytest.approx(435798464.0 / 64)
    assert parse_speed(ED25519, "ed25519_verify") == pytest.approx(10318.0)
    assert parse_speed(ECDSA, "ecdsa_p256_verify") == pytest.approx(16708.0)


def test_missing_record_is_an_error():
    with pytest.raises(ValueError, match="no"):
        parse_speed("nothing here", "sha256", 64)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not on PATH")
def test_openssl_speed_runs_with_provenance():
    rate = openssl_speed("sha256", processes=1, seconds=1, message_bytes=64)
    assert rate.items_per_s > 1e4 and rate.version.startswith("OpenSSL") and "-bytes 64" in rate.command


def test_openssl_missing_is_unavailable_with_the_reason(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(BackendUnavailable, match="not on PATH"):
        openssl_speed("sha256", processes=1, message_bytes=64)
