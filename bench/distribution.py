"""Scaling of `fit` under `jeras.distribution.DataParallel` with the device count.

Each device count runs in its own process: on a CPU-only machine the devices
are forced host devices (`--xla_force_host_platform_device_count`), which
must be set before JAX starts; on an accelerator machine the first N local
devices are used. Prints training samples/s per device count and the ratio
to one device.

    python bench/distribution.py                 # 1, 2, 4 forced host devices
    python bench/distribution.py --devices 1,2,4,8 --samples 32768
    python bench/distribution.py --accelerator   # real devices, no forcing

Forced host devices share the machine's cores, so their ratio measures the
overhead of the sharded program (collectives, uneven splits) more than a
speed-up; a speed-up needs as many cores, or real devices.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def worker(devices: int, samples: int, batch_size: int, epochs: int, width: int) -> dict:
    """Trains an MLP data-parallel over `devices` devices; returns samples/s after compiling."""
    import jax
    import numpy as np

    from jeras import distribution
    from jeras.layers import Dense
    from jeras.models import Sequential
    from jeras.utils import set_random_seed

    set_random_seed(0)
    rng = np.random.RandomState(0)
    x = rng.randn(samples, 784).astype("float32")
    y = np.eye(10, dtype="float32")[rng.randint(0, 10, samples)]
    model = Sequential([Dense(width, activation="relu", input_shape=(784,)),
                        Dense(width, activation="relu"), Dense(10, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["acc"])
    dist = distribution.DataParallel(jax.local_devices()[:devices])
    with dist.scope():
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)  # compiles
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
        jax.block_until_ready(model.layers[0]._values)
        elapsed = time.perf_counter() - start
    return {"devices": devices, "device_kind": jax.local_devices()[0].device_kind,
            "samples_per_s": samples * epochs / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", default="1,2,4", help="comma-separated device counts")
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--width", type=int, default=512, help="hidden layer width")
    parser.add_argument("--accelerator", action="store_true",
                        help="use the machine's own devices instead of forced host devices")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.samples, args.batch_size, args.epochs,
                                args.width)))
        return
    counts = [int(c) for c in args.devices.split(",")]
    rows = []
    for count in counts:
        env = dict(os.environ)
        if not args.accelerator:
            env.update(JAX_PLATFORMS="cpu",
                       XLA_FLAGS=f"--xla_force_host_platform_device_count={count}")
        command = [sys.executable, __file__, "--worker", str(count), "--samples",
                   str(args.samples), "--batch-size", str(args.batch_size), "--epochs",
                   str(args.epochs), "--width", str(args.width)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    base = rows[0]["samples_per_s"] if rows[0]["devices"] == 1 else None
    print(f"MLP 784-{args.width}-{args.width}-10, {args.samples} samples, batch "
          f"{args.batch_size}, {args.epochs} epochs, {rows[0]['device_kind']}"
          f"{'' if args.accelerator else ' (forced host devices)'}; cores: {os.cpu_count()}")
    print(f"{'devices':>8} {'samples/s':>12} {'vs 1 device':>12}")
    for row in rows:
        ratio = f"{row['samples_per_s'] / base:.2f}x" if base else "-"
        print(f"{row['devices']:>8} {row['samples_per_s']:>12.0f} {ratio:>12}")


if __name__ == "__main__":
    main()
