"""Emulators for the hardware no one here owns: NVM (Optane PMem, CXL memory, NVMe) and near-memory processing
(UPMEM-like PIM, HBM-PIM), honest about being emulators.

- profiles.py: device figures, each with its source; which ones calibrate and which ones validate;
- nvm.py: the analytical model of a trace and the functional persistent region (Quartz-style delays optional);
- checkpoint.py, crash.py: a crash-consistent page store and crash trials in a child process killed at random;
- pim.py: banks running the suite's own kernels, charged by a PIM profile; Ed25519's fit in numbers;
- calibrate.py, validation.py: this machine's DRAM measured, every model checked against data it was not built on;
- persistence.py, near_memory.py: what a node would get (notebooks 05 and 06).
`HOT_PATH` (kernels/emulation/hot_path.py) owns the sweeps, checks and prediction.
"""
from __future__ import annotations

from ..hotpath import lazy_hot_path

__getattr__ = lazy_hot_path(__name__)  # HOT_PATH, imported on first use
