"""Generates the small PyTorch reference fixtures committed under test/fixtures/.

Regenerate them (from the repository root; needs only PyTorch, e.g. Debian's python3-torch):

    /usr/bin/python3 tools/make_fixtures.py test/fixtures

Every value is computed by PyTorch in float64 on the CPU with one thread, from inputs drawn
by a generator seeded per case (SEED + crc32 of the case name, so adding a case changes no
other), and written with Python's repr, so JSON.parse gives back the float64 exactly. The
same inputs, rounded to float32, are run again in float32 and the worst error ratio against
the float32 tolerances is recorded as `torch_float32_worst_ratio`; generation fails when
PyTorch itself would not meet a tolerance.

The format is the one the TypeScript runners in src/fixtures/ read (six families:
rnn_layers, cells, losses, optimizers, clipping, vanishing; each file a JSON array of cases
{name, config, inputs, expected, tolerances, note?}; tensors as {shape, data, dtype?} in
row-major order). Each family is one module of tools/fixturegen/. The sizes are kept small
so the files stay modest; the full reference set (larger cases) lives outside the repository.

This is a generator, not a test: it checks only what it needs to trust its own output
(PyTorch's float32 run within the tolerances, ReLU pre-activations away from the kink, the
hand-unrolled vanishing loops equal to the nn modules).
"""
import hashlib
import json
import os
import platform
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ left in tools/
from fixturegen.cells import cell_cases
from fixturegen.clipping import clipping_cases
from fixturegen.common import FORMAT_VERSION, SEED
from fixturegen.layers import layer_cases
from fixturegen.losses import loss_cases
from fixturegen.optimizers import optimizer_cases
from fixturegen.vanishing import vanishing_cases

FAMILIES = {
    "rnn_layers.json": layer_cases,
    "cells.json": cell_cases,
    "losses.json": loss_cases,
    "optimizers.json": optimizer_cases,
    "clipping.json": clipping_cases,
    "vanishing.json": vanishing_cases,
}


def write_family(path, cases):
    """One case per line; json writes floats with repr, so they round-trip to the same float64."""
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), f"{path}: duplicate case names"
    text = "[\n" + ",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases) + "\n]\n"
    with open(path, "w") as f:
        f.write(text)
    data = text.encode()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "cases": names}


def main(out_dir):
    torch.set_num_threads(1)
    os.makedirs(out_dir, exist_ok=True)
    files = {}
    for file, make in FAMILIES.items():
        files[file] = write_family(os.path.join(out_dir, file), make())
        print(f"{file}: {len(files[file]['cases'])} cases, {files[file]['bytes']} bytes")
    manifest = {"format_version": FORMAT_VERSION, "profile": "small", "seed": SEED, "torch_version": torch.__version__,
                "python_version": platform.python_version(),
                "dtype": "float64 (torch CPU, single thread)", "generator": "tools/make_fixtures.py", "files": files}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
