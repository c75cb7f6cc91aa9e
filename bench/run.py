"""`make bench`: jeras against Keras 3 (JAX), tf_keras and a hand-written JAX loop.

Every (system, workload) runs in its own child process, several times; the
table gives medians and each figure's ratio to jeras, and the whole run is
written to `bench/results.json`.

Usage: python bench/run.py [--repeats N] [--workloads a,b] [--systems a,b] [--gpu]
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from workloads import GPU_WORKLOADS, WORKLOADS  # noqa: E402

SYSTEMS = ["jeras", "keras3", "tf_keras", "jax"]
LABELS = {"jeras": "jeras", "keras3": "Keras 3 (JAX)", "tf_keras": "tf_keras (TF)",
          "jax": "hand-written JAX"}
FIGURES = [("first_epoch_s", "first epoch s", "{:.2f}"), ("epoch_s", "epoch s", "{:.3f}"),
           ("us_per_step", "us/step", "{:.0f}"),
           ("predict_samples_per_s", "predict/s", "{:.0f}"), ("peak_rss_mb", "peak MB", "{:.0f}")]


def run_child(system: str, workload: str, gpu: bool, timeout: int) -> dict:
    env = dict(os.environ)
    if not gpu:
        env.setdefault("JAX_PLATFORMS", "cpu")
        env["CUDA_VISIBLE_DEVICES"] = ""
    cmd = [sys.executable, os.path.join(HERE, "workloads.py"), system, workload]
    if gpu:
        cmd.append("gpu")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"error": " | ".join(tail) or f"exit code {done.returncode}"}


def versions() -> dict:
    out = {"python": platform.python_version()}
    for package in ("jax", "jaxlib", "keras", "tensorflow", "tf_keras", "numpy"):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = None
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workloads", default="")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--gpu", action="store_true", help="larger workloads on an accelerator")
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--out", default=os.path.join(HERE, "results.json"))
    parser.add_argument("--markdown", metavar="RESULTS_JSON",
                        help="print the Markdown table of an earlier run and exit")
    args = parser.parse_args(argv)
    if args.markdown:
        with open(args.markdown) as f:
            print(markdown_table(json.load(f)))
        return 0
    table = GPU_WORKLOADS if args.gpu else WORKLOADS
    names = [w for w in args.workloads.split(",") if w] or list(table)
    systems = [s for s in args.systems.split(",") if s]
    results: dict = {}
    for name in names:
        results[name] = {}
        for system in systems:
            repeats = table[name].repeats or args.repeats
            runs = [run_child(system, name, args.gpu, args.timeout) for _ in range(repeats)]
            ok = [r for r in runs if "error" not in r]
            if not ok:
                results[name][system] = {"error": runs[-1]["error"]}
                print(f"{name:<20} {LABELS[system]:<17} failed: {runs[-1]['error']}", flush=True)
                continue
            results[name][system] = {k: float(np.median([r[k] for r in ok])) for k, _, _ in FIGURES}
            results[name][system]["repeats"] = len(ok)
            print(f"{name:<20} {LABELS[system]:<17} " + "  ".join(
                f"{label} {fmt.format(results[name][system][k])}" for k, label, fmt in FIGURES),
                flush=True)
        base = results[name].get("jeras", {})
        for figures in results[name].values():
            if "error" in figures or "error" in base:
                continue
            figures["ratio_to_jeras"] = {k: figures[k] / base[k] for k, _, _ in FIGURES}
    report = {"date": datetime.date.today().isoformat(), "machine": machine(), "gpu": args.gpu,
              "versions": versions(), "repeats": args.repeats, "results": results}
    print_table(report)
    directory = os.path.dirname(os.path.abspath(args.out))
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp") as f:
        json.dump(report, f, indent=1)
    os.replace(f.name, args.out)
    print(f"\nwritten to {args.out}")
    return 0


def markdown_table(report: dict) -> str:
    """The steady-state and first-epoch figures as a Markdown table (for the README)."""
    lines = ["| workload | system | first epoch s | epoch s | us/step | predict/s | peak MB |",
             "|---|---|---|---|---|---|---|"]
    for name, systems in report["results"].items():
        for system, figures in systems.items():
            if "error" in figures:
                lines.append(f"| {name} | {LABELS[system]} | failed | | | | |")
                continue
            ratios = figures.get("ratio_to_jeras", {})
            cells = [f"{fmt.format(figures[k])} (x{ratios.get(k, 1.0):.2f})"
                     for k, _, fmt in FIGURES]
            lines.append(f"| {name} | {LABELS[system]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_table(report: dict) -> None:
    print(f"\n{report['date']} - {report['machine']} - "
          + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if v))
    print(f"medians of {report['repeats']} runs; (xN.NN) is the ratio to jeras\n")
    header = f"{'workload':<20} {'system':<17}" + "".join(f"{label:>22}" for _, label, _ in FIGURES)
    print(header)
    print("-" * len(header))
    for name, systems in report["results"].items():
        for system, figures in systems.items():
            if "error" in figures:
                print(f"{name:<20} {LABELS[system]:<17} failed")
                continue
            ratios = figures.get("ratio_to_jeras", {})
            cells = "".join(f"{fmt.format(figures[k]) + f' (x{ratios.get(k, 1.0):.2f})':>22}"
                            for k, _, fmt in FIGURES)
            print(f"{name:<20} {LABELS[system]:<17}{cells}")


if __name__ == "__main__":
    sys.exit(main())
