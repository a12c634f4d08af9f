"""The measurement harness: timing by phase, staged device bases, energy per item, the machine's
fingerprint, tidy results."""
from .bench import Case, Settings, compile_row, measure_case, run_cases, timeable_backends, unavailable
from .fingerprint import device_tag, fingerprint
from .results import COLUMNS, ResultsWriter, latest_rows, read_results
from .timing import Timing, interleaved_timings, time_phase

__all__ = ["Case", "Settings", "compile_row", "measure_case", "run_cases", "timeable_backends", "unavailable",
           "device_tag", "fingerprint", "COLUMNS", "ResultsWriter", "latest_rows", "read_results", "Timing",
           "interleaved_timings", "time_phase"]
