"""Every .cu file compiles with nvcc (for Hopper), and every .cl file builds on the OpenCL device here."""
import re
import subprocess
from pathlib import Path

import pytest

from conftest import needs_nvcc
from kernels import devices

ROOT = Path(__file__).resolve().parents[1] / "kernels"
CU = sorted(ROOT.rglob("*.cu"))
CL = sorted(ROOT.rglob("*.cl"))


def test_sources_exist():
    assert CU and CL


def launched_names(module_path: Path, prefix: str) -> set[str]:
    """The kernel names a CuPy host module launches: its string literals that start with `prefix`."""
    return set(re.findall(rf'"({prefix}\w+)"', module_path.read_text()))


# kernels a host module finds by name in a .cu file's cubin: {.cu name: names}
EXPORTS = {"ed25519.cu": launched_names(ROOT / "signatures" / "cupy_cuda.py", "ed25519_")}  # per signature and batch
EXPORTS["msm.cu"] = launched_names(ROOT / "bls" / "msm_cupy.py", "g1_") | launched_names(ROOT / "bls" / "msm_cupy.py",
                                                                                        "g2_")  # BLS12-381 groups, hash


def test_export_lists_name_the_batch_kernels():
    assert {"ed25519_verify", "ed25519_verify_zip215", "ed25519_batch_decompress", "ed25519_msm_buckets",
            "ed25519_msm_windows", "ed25519_msm_is_small_order"} <= EXPORTS["ed25519.cu"]
    assert {f"{g}_{k}" for g in ("g1", "g2") for k in ("decode", "buckets", "windows", "combine")} | {"g1_hash"} \
        == EXPORTS["msm.cu"]


@needs_nvcc
@pytest.mark.parametrize("source", CU, ids=lambda p: p.name)
def test_cu_compiles_with_nvcc(source, tmp_path):
    result = subprocess.run(["nvcc", "-arch=sm_90", "--cubin", "-I", str(devices.COMMON_DIR), "-o",
                             str(tmp_path / "k.cubin"), str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "k.cubin").stat().st_size > 0
    cubin = (tmp_path / "k.cubin").read_bytes()
    for name in sorted(EXPORTS.get(source.name, ())):  # in the symbol table, as CuPy looks it up
        assert name.encode() + b"\0" in cubin, f"{source.name} does not export {name}"


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
@pytest.mark.parametrize("source", CL, ids=lambda p: p.name)
def test_cl_builds(source):
    program = devices.opencl_program(str(source))
    assert program.get_info(__import__("pyopencl").program_info.KERNEL_NAMES)
