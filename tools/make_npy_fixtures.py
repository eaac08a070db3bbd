"""Writes the small NumPy `.npy` fixtures committed under test/fixtures/npy/.

They were written by NumPy 1.24.2 (Debian's python3-numpy) with

    /usr/bin/python3 tools/make_npy_fixtures.py test/fixtures/npy

which rewrites every file there, byte for byte the same on the same NumPy. The tests
(test/npy.test.ts) read them without Python: `readNpy` must give back the values in
`manifest.json`, and `writeNpy` must give back each accepted file's bytes exactly, since
the files are what NumPy itself writes for those arrays.

`manifest.json` maps each file name to how it was written (`np.save`, or
`np.lib.format.write_array` with an explicit version) and either the expected array
({dtype, shape, values}: values flattened in C order, int64/uint64 as decimal strings so
JSON keeps them exact, floats as Python's repr of the stored value so JSON.parse gives it
back) or, for a file the reader must refuse, the words its message must contain.

This is a generator, not a test: it checks only that NumPy reads each accepted file back
to the same array.
"""
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ left in tools/


def accepted():
    """(file name, array, version or None for np.save) of the files the reader must accept."""
    return [
        ("float32_2d.npy", np.array([[1.5, -2.25, 0.1], [3.0e-7, 1.0e30, -0.0]], dtype=np.float32), None),
        ("float64_3d.npy", (np.arange(24, dtype=np.float64).reshape(2, 3, 4) - 11.0) / 7.0, None),
        ("int32.npy", np.array([1, -2, 2147483647, -2147483648, 0], dtype=np.int32), None),
        ("int64.npy", np.array([[0, 1, 2], [-1, 9007199254740993, -9223372036854775808]], dtype=np.int64), None),
        ("uint8.npy", np.array([[0, 1], [255, 128]], dtype=np.uint8), None),
        ("int8.npy", np.array([-128, 0, 127], dtype=np.int8), None),
        ("int16.npy", np.array([-32768, 7, 32767], dtype=np.int16), None),
        ("uint16.npy", np.array([0, 65535, 4242], dtype=np.uint16), None),
        ("uint32.npy", np.array([0, 4294967295], dtype=np.uint32), None),
        ("uint64.npy", np.array([0, 18446744073709551615], dtype=np.uint64), None),
        ("bool.npy", np.array([True, False, True, True], dtype=np.bool_), None),
        ("scalar.npy", np.array(3.5, dtype=np.float64), None),
        ("empty.npy", np.zeros((0, 3), dtype=np.float32), None),
        ("tokens.npy", np.array([[3, 0], [1, 2], [2, 2], [0, 1]], dtype=np.int64), None),
        ("long_1d.npy", np.arange(130, dtype=np.float32) / 8, None),
        # A header whose padding is a whole 64 bytes (NumPy pads to the next multiple, never by 0).
        ("padded_64.npy", np.zeros((0, 1, 1, 100, 100, 100, 100, 100, 100, 100), dtype=np.float32), None),
        ("many_dims.npy", np.ones((1, 2, 1, 3, 1, 2, 1, 1, 1, 1, 1, 1), dtype=np.float32), None),
        ("version2.npy", np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), (2, 0)),
        ("version3.npy", np.array([7, 8, 9], dtype=np.int32), (3, 0)),
    ]


def refused():
    """(file name, array, how to save, words the refusal must contain) of the files the reader must refuse."""
    return [
        ("bigendian.npy", np.array([1.0, 2.0, 3.0], dtype=">f4"), "save", "big-endian"),
        ("fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)), "save", "fortran_order=True"),
        ("object.npy", np.array([1, "a"], dtype=object), "pickle", "object"),
        ("complex.npy", np.array([1 + 2j], dtype=np.complex64), "save", "<c8"),
        ("float16.npy", np.array([1.0, 2.0], dtype=np.float16), "save", "<f2"),
    ]


def values_of(a):
    flat = a.reshape(-1)
    if a.dtype.kind in "iu" and a.dtype.itemsize == 8:
        return [str(int(v)) for v in flat]
    if a.dtype.kind == "b":
        return [bool(v) for v in flat]
    if a.dtype.kind in "iu":
        return [int(v) for v in flat]
    return [float(v) for v in flat]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    manifest = {
        "generator": "tools/make_npy_fixtures.py",
        "numpy": np.__version__,
        "files": {},
    }
    for name, a, version in accepted():
        path = os.path.join(out_dir, name)
        with open(path, "wb") as f:
            if version is None:
                np.save(f, a)
            else:
                np.lib.format.write_array(f, a, version=version)
        back = np.load(path)
        assert back.dtype == a.dtype and back.shape == a.shape and np.array_equal(back, a), name
        manifest["files"][name] = {
            "written": "np.save" if version is None else f"np.lib.format.write_array(version={version})",
            "version": "1.0" if version is None else f"{version[0]}.{version[1]}",
            "dtype": str(a.dtype),
            "shape": list(a.shape),
            "values": values_of(a),
        }
    for name, a, how, words in refused():
        path = os.path.join(out_dir, name)
        with open(path, "wb") as f:
            np.save(f, a, allow_pickle=(how == "pickle"))
        manifest["files"][name] = {"written": "np.save", "refused": words}
    # One line per file, so a regenerated manifest diffs file by file.
    files = manifest.pop("files")
    lines = [f" {json.dumps(k)}: {json.dumps(files[k], sort_keys=True)}" for k in sorted(files)]
    head = json.dumps(manifest, sort_keys=True)[:-1]
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        f.write(head + ', "files": {\n' + ",\n".join(lines) + "\n}}\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: /usr/bin/python3 tools/make_npy_fixtures.py OUT_DIR")
    main(sys.argv[1])
