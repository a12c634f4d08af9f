"""Every .cu file compiles with nvcc (for Hopper), and every .cl file builds on the OpenCL device here."""
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


@needs_nvcc
@pytest.mark.parametrize("source", CU, ids=lambda p: p.name)
def test_cu_compiles_with_nvcc(source, tmp_path):
    result = subprocess.run(["nvcc", "-arch=sm_90", "--cubin", "-I", str(devices.COMMON_DIR), "-o",
                             str(tmp_path / "k.cubin"), str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "k.cubin").stat().st_size > 0


@pytest.mark.skipif(devices.unavailable_reason("opencl") is not None, reason="no OpenCL device")
@pytest.mark.parametrize("source", CL, ids=lambda p: p.name)
def test_cl_builds(source):
    program = devices.opencl_program(str(source))
    assert program.get_info(__import__("pyopencl").program_info.KERNEL_NAMES)
