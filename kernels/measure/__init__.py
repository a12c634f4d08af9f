"""The measurement harness: timing by phase, energy per item, the machine's fingerprint, tidy results."""
from .bench import Case, Settings, compile_row, measure_case, run_cases, timeable_backends
from .fingerprint import device_tag, fingerprint
from .results import COLUMNS, ResultsWriter, latest_rows, read_results
from .timing import Timing, time_phase

__all__ = ["Case", "Settings", "compile_row", "measure_case", "run_cases", "timeable_backends", "device_tag", "fingerprint", "COLUMNS",
           "ResultsWriter", "latest_rows", "read_results", "Timing", "time_phase"]
