"""A real Wasm runtime executing `memory.copy` and `memory.fill`: wasmtime (the engine family the IC's
replica embeds) running kernels/memory/memory.wat. This is the production reference the kernels and numpy
are compared with; the host sees the linear memory as a numpy array without copying it."""
from __future__ import annotations

import atexit
import ctypes
import functools
from pathlib import Path

import numpy as np

from .checks import WASM_PAGE, check_memory_copy

WAT = Path(__file__).with_name("memory.wat")
MAX_BYTES = 1 << 32  # a 32-bit Wasm memory holds at most 65 536 pages of 64 KiB (4 GiB; the IC heap limit)


@functools.cache
def _module():
    import wasmtime

    engine = wasmtime.Engine()
    atexit.register(_module.cache_clear)  # free them while wasmtime's C API is still loaded
    return engine, wasmtime.Module(engine, WAT.read_text())


def _i32(value: int) -> int:
    """Wasm i32 arguments are passed signed; offsets above 2 GiB wrap to negative Python ints."""
    return value - (1 << 32) if value >= 1 << 31 else value


class WasmLinearMemory:
    """One instance of memory.wat whose exported memory holds at least `nbytes` (whole 64 KiB pages)."""

    def __init__(self, nbytes: int):
        import wasmtime

        if not 0 <= nbytes <= MAX_BYTES:
            raise ValueError(f"nbytes must lie in [0, {MAX_BYTES}] (a 32-bit Wasm memory), got {nbytes}")
        engine, module = _module()
        self.store = wasmtime.Store(engine)
        instance = wasmtime.Instance(self.store, module, [])
        exports = instance.exports(self.store)
        self._memory = exports["memory"]
        self._copy, self._fill = exports["copy"], exports["fill"]
        self._copy_repeat, self._fill_repeat = exports["copy_repeat"], exports["fill_repeat"]
        pages = max(1, -(-nbytes // WASM_PAGE))
        grow = pages - self._memory.size(self.store)
        if grow > 0:
            self._memory.grow(self.store, grow)
        self.nbytes = self._memory.data_len(self.store)

    @property
    def array(self) -> np.ndarray:
        """The linear memory as a writable uint8 array (no copy; valid while this object lives)."""
        ptr = self._memory.data_ptr(self.store)
        buf = (ctypes.c_ubyte * self.nbytes).from_address(ctypes.addressof(ptr.contents))
        return np.frombuffer(buf, dtype=np.uint8)

    def copy(self, dst: int, src: int, n: int) -> None:
        """Execute `memory.copy dst src n` (bounds are checked first: Wasm would trap)."""
        dst, src, n = check_memory_copy(self.array, dst, src, n)
        self._copy(self.store, _i32(dst), _i32(src), _i32(n))

    def copy_repeat(self, dst: int, src: int, n: int, rounds: int) -> None:
        """`rounds` executions of `memory.copy dst src n` inside one Wasm call."""
        dst, src, n = check_memory_copy(self.array, dst, src, n)
        self._copy_repeat(self.store, _i32(dst), _i32(src), _i32(n), _i32(int(rounds)))

    def fill_repeat(self, dst: int, value: int, n: int, rounds: int) -> None:
        """`rounds` executions of `memory.fill dst value n` inside one Wasm call."""
        dst, _, n = check_memory_copy(self.array, dst, 0, n)
        self._fill_repeat(self.store, _i32(dst), int(value) & 0xFF, _i32(n), _i32(int(rounds)))

    def fill(self, dst: int, value: int, n: int) -> None:
        """Execute `memory.fill dst value n`: n bytes from dst set to value & 0xFF."""
        dst, _, n = check_memory_copy(self.array, dst, 0, n)
        self._fill(self.store, _i32(dst), int(value) & 0xFF, _i32(n))
