"""Shared presentation: SI numbers, fixed colours per backend, bands from the measured quartiles, no averaging."""
import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from kernels import analysis  # noqa: E402
from kernels.registry import colour  # noqa: E402


@pytest.mark.parametrize("value, text", [(8.127e6, "8.13 M"), (0.47, "0.47"), (1.25e-5, "12.5 µ"), (0.0, "0"),
                                         (999.7, "1 k"), (-2.5e9, "-2.5 G"), (float("nan"), "n/a")])
def test_numbers_in_si_without_exponents(value, text):
    assert analysis.fmt_number(value) == text


def _rows():
    rows = []
    for op, speed in (("crc32", 1.0), ("crc32c", 10.0)):
        for backend in ("library", "numba_cpu"):
            for batch in (1, 10, 100):
                t = batch / (speed * 1e6 * (2 if backend == "numba_cpu" else 1))
                rows.append({"operation": op, "workload": "w", "backend": backend, "phase": "end_to_end",
                             "batch_size": batch, "time_s_median": t, "time_s_p25": 0.9 * t, "time_s_p75": 1.2 * t,
                             "items_per_s": batch / t})
    return pd.DataFrame(rows)


def test_throughput_lines_keep_operations_apart_in_fixed_colours():
    fig = analysis.plot_throughput(_rows(), "t")
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4  # 2 backends x 2 operations, never averaged together
    for line in lines:
        backend = line.get_label().split()[0]
        assert to_hex(line.get_color()) == colour(backend)
    crc32c_numba = next(line for line in lines if "numba_cpu" in line.get_label() and "crc32c" in line.get_label())
    assert crc32c_numba.get_ydata()[0] == pytest.approx(20e6)


def test_band_is_the_measured_quartiles_of_the_rate():
    rows = _rows().iloc[:1]
    lo, hi = analysis._rate_band(rows, "items_per_s")
    assert lo.iloc[0] == pytest.approx(rows.items_per_s.iloc[0] / 1.2)
    assert hi.iloc[0] == pytest.approx(rows.items_per_s.iloc[0] / 0.9)


def test_workload_figure_uses_dots_not_bars():
    fig = analysis.plot_workloads(_rows()[lambda f: f.batch_size == 100], "w")
    assert not fig.axes[0].patches and fig.axes[0].get_xscale() == "log"
