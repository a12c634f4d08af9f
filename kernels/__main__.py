"""Command line: `python -m kernels info | bench | sweep | target | datasets | run | report | lab`."""
from __future__ import annotations

import argparse
import json
import sys

from . import registry

from .hotpath import PROFILES


def info(_args) -> int:
    """Every operation x backend: 'yes', or the reason it cannot run here."""
    from . import devices
    from .measure import fingerprint

    fp = fingerprint()
    print(f"device tag: {fp['device_tag']}   CPU: {fp['cpu']['model_name']} ({fp['cpu']['logical_cores']} logical cores, "
          f"{', '.join(fp['cpu']['key_flags'])})")
    print(f"GPU: {fp['gpu']['name'] if fp['gpu'] else 'none'}   OpenCL: {'; '.join(fp['opencl_devices']) or 'none'}")
    width = max(map(len, registry.OPERATIONS))
    for operation in registry.OPERATIONS:
        for backend, reason in registry.backends_for(operation).items():
            state = "yes" if reason is None else f"no: {reason}"
            if reason is None and backend == "numba_cuda" and devices.cuda_simulated():
                state = "yes (CUDA simulator: correctness only)"
            print(f"{operation:<{width}}  {backend:<10}  {state}")
    return 0


def _print_table(frame) -> None:
    """Kernel and end-to-end rows with the speedup over the library on the same operation, workload and batch."""
    import pandas as pd

    from .analysis import with_speedup

    frame = with_speedup(frame[frame.phase.isin(["kernel", "end_to_end"])]).rename(
        columns={"speedup": "speedup_vs_library"})
    cols = ["operation", "workload", "backend", "batch_size", "phase", "time_s_median", "items_per_s", "bytes_per_s",
            "speedup_vs_library"]
    with pd.option_context("display.width", 200, "display.float_format", "{:.4g}".format):
        print(frame[cols].to_string(index=False))


def _backends(text: str) -> list[str]:
    backends = text.split(",")
    for b in backends:
        registry.check_backend(b)
    return backends


def _writer(out):
    """Rows go to a results folder only when asked (--out): ad-hoc runs leave the committed tables alone."""
    from .measure import ResultsWriter

    return ResultsWriter(out) if out else None


def bench(args) -> int:
    """Time one operation on chosen backends and batch sizes and print a table (rows written only with --out)."""
    from .measure import Settings, run_cases

    registry.check_operation(args.operation)
    hot_path = registry.hot_path(args.operation)
    backends = _backends(args.backends)
    sizes = [int(s) for s in args.batch.split(",")]
    writer = _writer(args.out)
    rows = hot_path.compile_rows(backends)
    if writer and rows:
        writer.add(rows)
    frame = run_cases(hot_path.cli_cases(args.operation, backends, sizes, args.size), writer,
                      Settings.for_profile(args.profile), progress=False)
    if frame.empty:
        print("nothing measured")
        return 1
    _print_table(frame)
    if writer:
        print(f"rows written to {writer.out_dir}")
    return 0


def sweep(args) -> int:
    """Every hot path's profile sweep on the chosen backends (what the notebooks measure; the GPU check)."""
    from .measure import Settings

    backends = _backends(args.backends)
    writer = _writer(args.out)
    chosen = args.hot_paths.split(",") if args.hot_paths else None
    for hot_path in registry.hot_paths():
        if chosen is not None and hot_path.name not in chosen:
            continue
        rows = hot_path.compile_rows(backends)
        if writer and rows:
            writer.add(rows)
        frame = hot_path.run_all(args.profile, backends, writer, Settings.for_profile(args.profile))
        if not frame.empty:
            _print_table(frame)
    if writer:
        print(f"rows written to {writer.out_dir}")
    return 0


def target(args) -> int:
    """Run one target (or all), print each result; with --out, append them to OUT/targets.csv."""
    from .measure.fingerprint import device_tag
    from .targets import all_targets, write_target

    targets = all_targets()
    names = list(targets) if args.name == "all" else [args.name]
    for name in names:
        if name not in targets:
            print(f"unknown target {name!r}; known: {', '.join(targets)}", file=sys.stderr)
            return 2
    for name in names:
        result = targets[name](profile=args.profile)
        print(result.markdown(), end="\n\n")
        if args.out:
            print(f"written to {write_target(result, args.out, device_tag=device_tag())}")
    return 0


def datasets(args) -> int:
    """Generate the workload files; compare them with datasets/MANIFEST.json (or rewrite it with --update)."""
    from .datasets import MANIFEST, check_against_manifest, write_datasets

    manifest = write_datasets(args.out)
    for name, entry in manifest.items():
        print(f"{entry['sha256']}  {entry['bytes']:>10}  {name}")
    if args.update or not MANIFEST.exists():
        MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        print(f"wrote {MANIFEST}")
        return 0
    differing = check_against_manifest(manifest)
    print("identical to the manifest" if not differing else f"DIFFERENT from the manifest: {differing}")
    return 1 if differing else 0


def run(args) -> int:
    from .report import run_notebooks

    from pathlib import Path

    return run_notebooks(profile=args.profile, names=args.notebooks, out_dir=args.out,
                         pdf=None if args.no_pdf else Path(args.pdf))


def report(args) -> int:
    from .report import export_pdf

    print(export_pdf(args.out, args.pdf))
    return 0


def requests(args) -> int:
    """Every stage of an update and a query of one workload, library and best, as a table (--out keeps it)."""
    from .requests import table

    found = table.measure(args.workload, args.profile, progress=lambda s: print(f"timing {s}", file=sys.stderr))
    print(table.printable(found))
    if args.out:
        print(f"wrote {table.write(found, args.out)}")
    return 0


def lab(_args) -> int:
    from .lab import main as lab_main

    return lab_main()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kernels", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="which backend runs which operation here, and why not").set_defaults(fn=info)
    p = sub.add_parser("bench", help="time an operation and print a table (rows kept only with --out)")
    p.add_argument("operation")
    p.add_argument("--backends", default="library,numba_cpu,opencl")
    p.add_argument("--batch", default="1,64,4096,262144", help="comma-separated batch sizes")
    p.add_argument("--size", type=int, default=64, help="bytes per item")
    p.add_argument("--profile", default="quick", choices=PROFILES)
    p.add_argument("--out", default=None, help="write rows to this results folder (default: print only)")
    p.set_defaults(fn=bench)
    p = sub.add_parser("sweep", help="every hot path's profile sweep on the chosen backends (the GPU check)")
    p.add_argument("--backends", default="library,numba_cpu,opencl")
    p.add_argument("--profile", default="quick", choices=PROFILES)
    p.add_argument("--out", default=None, help="write rows to this results folder (default: print only)")
    p.add_argument("--hot-paths", default=None, help="comma-separated hot path names (default: all), e.g. hashing,memory")
    p.set_defaults(fn=sweep)
    p = sub.add_parser("target", help="check an issue's performance target against its literal baseline")
    p.add_argument("name", help="target name (e.g. sha256) or 'all'")
    p.add_argument("--profile", default="quick", choices=PROFILES, help="smoke: small inputs, for tests")
    p.add_argument("--out", default=None, help="append the results to OUT/targets.csv (default: print only)")
    p.set_defaults(fn=target)
    p = sub.add_parser("datasets", help="generate the workload files and their SHA-256 manifest")
    p.add_argument("--out", default="datasets/generated")
    p.add_argument("--update", action="store_true", help="rewrite datasets/MANIFEST.json")
    p.set_defaults(fn=datasets)
    p = sub.add_parser("run", help="execute every notebook with papermill, then export the PDF")
    p.add_argument("--profile", default="quick", choices=PROFILES)
    p.add_argument("--notebooks", nargs="*", default=None, help="notebook names (default: all)")
    p.add_argument("--out", default=None, help="results folder (default results/<device-tag>/)")
    p.add_argument("--pdf", default="results/findings.pdf", help="where the findings PDF goes")
    p.add_argument("--no-pdf", action="store_true", help="execute the notebooks only")
    p.set_defaults(fn=run)
    p = sub.add_parser("report", help="export results/findings.pdf from the executed notebooks")
    p.add_argument("--out", default=None, help="results folder holding executed notebooks")
    p.add_argument("--pdf", default="results/findings.pdf", help="where the findings PDF goes")
    p.set_defaults(fn=report)
    p = sub.add_parser("requests", help="what an update and a query cost a node, stage by stage, for one workload")
    p.add_argument("--workload", default="counter", choices=("counter", "ledger", "kv"))
    p.add_argument("--profile", default="quick", choices=("smoke", "quick", "full"))
    p.add_argument("--out", default=None, help="add the rows to OUT/requests.csv (default: print only)")
    p.set_defaults(fn=requests)
    sub.add_parser("lab", help="JupyterLab on notebooks/ (as root too), printing the address to open").set_defaults(fn=lab)
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
