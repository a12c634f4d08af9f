"""The cost of the IC's own dirty-page tracking, measured: write-protect the memory, take one SIGSEGV per
first write to a page, unprotect that page in the handler and record it (docs/REFERENCES.md section 1), against
finding the same pages by comparing the memory with its previous image (`dirty_pages`).

The faults are taken in a child process (`python -m kernels.memory.faults`), never in the caller's
interpreter. The handler is a Numba `cfunc` installed with libc `sigaction` (a Python-level handler cannot
work: Python runs handlers between bytecodes, and the faulting store would repeat forever). It only calls
async-signal-safe functions (mprotect, _exit); SIGSEGV stays blocked while it runs (no SA_NODEFER), so a
fault inside it kills the child instead of recursing; a fault outside the tracked region ends the child
with exit status `EXIT_OUTSIDE` instead of looping on the same address.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import mmap
import os
import subprocess
import sys
import time

import numpy as np

from ..registry import BackendUnavailable

PAGE = mmap.PAGESIZE  # the OS page the kernel protects and faults on (4 KiB on x86-64)
EXIT_OUTSIDE = 86  # child exit status: a fault hit an address outside the tracked region
EXIT_MPROTECT = 87  # child exit status: mprotect failed inside the handler (e.g. vm.max_map_count reached)
SIGSEGV = 11
SA_SIGINFO = 4  # <signal.h>, Linux
SI_ADDR_WORD = 2  # siginfo_t on 64-bit Linux: si_signo, si_errno, si_code (+ pad) then si_addr at byte 16


def unavailable_reason() -> str | None:
    """Why faults cannot be timed here, or None."""
    if not sys.platform.startswith("linux"):
        return f"fault timing needs Linux (sigaction and siginfo_t layout), not {sys.platform}"
    if ctypes.sizeof(ctypes.c_void_p) != 8:
        return "fault timing needs a 64-bit process"
    return None


class _Sigaction(ctypes.Structure):
    """glibc's struct sigaction on 64-bit Linux."""

    _fields_ = [("sa_sigaction", ctypes.c_void_p), ("sa_mask", ctypes.c_ulong * 16), ("sa_flags", ctypes.c_int),
                ("sa_restorer", ctypes.c_void_p)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = (ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int)
    libc.mprotect.restype = ctypes.c_int
    libc._exit.argtypes = (ctypes.c_int,)
    libc._exit.restype = None
    libc.sigaction.argtypes = (ctypes.c_int, ctypes.POINTER(_Sigaction), ctypes.POINTER(_Sigaction))
    libc.sigaction.restype = ctypes.c_int
    return libc


def _protect(libc, addr: int, nbytes: int, prot: int) -> None:
    if libc.mprotect(addr, nbytes, prot) != 0:
        raise OSError(ctypes.get_errno(), f"mprotect failed: {os.strerror(ctypes.get_errno())}")


def _make_handler(libc, base: int, npages: int, dirty_addr: int):
    """A C-callable SIGSEGV handler for the region [base, base + npages * PAGE): mark the page in the
    uint8 map at `dirty_addr`, make it writable, return (the faulting store then runs again)."""
    from numba import carray, cfunc, types
    from numba.extending import intrinsic

    @intrinsic
    def as_pointer(typingctx, address):
        sig = types.CPointer(types.uint8)(address)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(signature.return_type))

        return sig, codegen

    mprotect, _exit = libc.mprotect, libc._exit
    end = base + npages * PAGE
    rw = mmap.PROT_READ | mmap.PROT_WRITE

    @cfunc(types.void(types.int32, types.CPointer(types.uint64), types.voidptr))
    def handler(signo, info, context):
        addr = info[SI_ADDR_WORD]
        if addr < base or addr >= end:
            _exit(EXIT_OUTSIDE)
        page = (addr - base) // PAGE
        dirty = carray(as_pointer(dirty_addr), npages)
        dirty[page] = 1
        if mprotect(base + page * PAGE, PAGE, rw) != 0:
            _exit(EXIT_MPROTECT)

    return handler


def _region(npages: int) -> tuple[mmap.mmap, np.ndarray, int]:
    m = mmap.mmap(-1, npages * PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS,
                  prot=mmap.PROT_READ | mmap.PROT_WRITE)
    array = np.frombuffer(m, dtype=np.uint8)
    return m, array, array.ctypes.data


def _touch(array: np.ndarray, stride: int) -> float:
    """Seconds to write one byte into every `stride`-th page of `array`."""
    start = time.perf_counter()
    array[::stride * PAGE] += 1
    return time.perf_counter() - start


def measure_in_this_process(npages: int, repeats: int, stride: int = 1, outside: bool = False) -> dict:
    """Take the faults here (the child's side). Returns seconds per page for each cost and a check that
    the handler recorded exactly the pages written."""
    libc = _libc()
    written = len(range(0, npages, stride))
    first, plain, protect, faults = [], [], [], []
    recorded_ok = True
    dirty = np.zeros(npages, np.uint8)
    m, array, base = _region(npages)
    handler = _make_handler(libc, base, npages, dirty.ctypes.data)
    act, old = _Sigaction(), _Sigaction()
    act.sa_sigaction = handler.address
    act.sa_flags = SA_SIGINFO
    if libc.sigaction(SIGSEGV, ctypes.byref(act), ctypes.byref(old)) != 0:
        raise OSError(ctypes.get_errno(), "sigaction failed")
    try:
        if outside:  # a store into a read-only page the handler does not track: the child must exit
            m2, other, addr2 = _region(1)
            _protect(libc, addr2, PAGE, mmap.PROT_READ)
            other[0] = 1
        for _ in range(repeats):
            m, array, base = _region(npages)  # fresh anonymous pages: the first write maps a zero page
            handler = _make_handler(libc, base, npages, dirty.ctypes.data)
            act.sa_sigaction = handler.address
            libc.sigaction(SIGSEGV, ctypes.byref(act), None)
            first.append(_touch(array, stride))
            plain.append(_touch(array, stride))  # mapped and writable: the cost of the stores alone
            start = time.perf_counter()
            _protect(libc, base, npages * PAGE, mmap.PROT_READ)  # the start of a round: protect everything
            protect.append(time.perf_counter() - start)
            dirty[:] = 0
            faults.append(_touch(array, stride))
            recorded_ok &= bool(np.array_equal(np.flatnonzero(dirty), np.arange(0, npages, stride)))
            del array
            m.close()
    finally:
        libc.sigaction(SIGSEGV, ctypes.byref(old), None)
    med = lambda xs: float(np.median(xs))  # noqa: E731
    return {
        "pages": npages, "pages_written": written, "stride": stride, "repeats": repeats, "page_bytes": PAGE,
        "first_touch_s_per_page": (med(first) - med(plain)) / written,
        "protect_fault_s_per_page": (med(faults) - med(plain)) / written,
        "store_s_per_page": med(plain) / written,
        "mprotect_all_s_per_page": med(protect) / npages,
        "handler_recorded_exactly_the_written_pages": recorded_ok,
    }


def fault_costs(npages: int = 16384, repeats: int = 5, stride: int = 1, outside: bool = False,
                timeout: float = 300.0) -> dict:
    """Fault costs per page, measured in a child process (see the module docstring). BackendUnavailable
    where the platform forbids it; RuntimeError with the child's reason when it fails."""
    reason = unavailable_reason()
    if reason:
        raise BackendUnavailable(reason)
    if npages <= 0 or repeats <= 0 or stride <= 0:
        raise ValueError("npages, repeats and stride must be positive")
    cmd = [sys.executable, "-m", "kernels.memory.faults", "--pages", str(npages), "--repeats", str(repeats),
           "--stride", str(stride)] + (["--outside"] if outside else [])
    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                                                      env.get("PYTHONPATH")]))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode == EXIT_OUTSIDE:
        raise RuntimeError("fault child: a write faulted outside the tracked region (exit status "
                           f"{EXIT_OUTSIDE}); no numbers were produced")
    if proc.returncode == EXIT_MPROTECT:
        raise RuntimeError("fault child: mprotect failed inside the handler (too many mappings? every isolated "
                           "unprotected page splits the region; see vm.max_map_count); no numbers were produced")
    if proc.returncode != 0:
        raise RuntimeError(f"fault child failed with status {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="time page faults (runs as a child of fault_costs)")
    parser.add_argument("--pages", type=int, default=16384)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--stride", type=int, default=1)
    parser.add_argument("--outside", action="store_true", help="self-test: fault outside the region")
    args = parser.parse_args(argv)
    print(json.dumps(measure_in_this_process(args.pages, args.repeats, args.stride, args.outside)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
