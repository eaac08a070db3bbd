"""What every fixture family shares: the seed, the tolerances written into the cases, the
seeded draws of a case, JSON conversion (floats with repr), and `make_case`, which runs a
case in float64 for its expected values and again in float32 to check that PyTorch itself
meets the float32 tolerances (recorded as `torch_float32_worst_ratio`)."""
import zlib

import torch

SEED = 1
FORMAT_VERSION = 1

# Tolerances written into every case (|actual - expected| <= atol + rtol*|expected|). float64
# implementations differ from PyTorch only in summation order; float32 ones run on inputs
# rounded to float32, and BPTT over a sequence accumulates their round-off.
TOL64 = {"rtol": 1e-9, "atol": 1e-11}
TOL_RECURRENT = {
    "float64": {"forward": TOL64, "gradient": TOL64},
    "float32": {"forward": {"rtol": 1e-4, "atol": 1e-5}, "gradient": {"rtol": 1e-3, "atol": 1e-4}},
}
TOL_LOSS = {
    "float64": {"forward": TOL64, "gradient": TOL64},
    "float32": {"forward": {"rtol": 1e-4, "atol": 1e-5}, "gradient": {"rtol": 1e-4, "atol": 1e-6}},
}
# Optimizer parameters and states, clipped gradients: values, not gradients of a loss.
TOL_VALUES = {"float64": {"forward": TOL64}, "float32": {"forward": {"rtol": 1e-5, "atol": 1e-6}}}
# Vanishing norms span about ten orders of magnitude: purely relative (atol 0).
TOL_VANISHING = {
    "float64": {"forward": TOL64, "gradient": {"rtol": 1e-9, "atol": 0.0}},
    "float32": {"forward": {"rtol": 1e-4, "atol": 1e-5}, "gradient": {"rtol": 1e-3, "atol": 0.0}},
}
# ReLU pre-activations at least this far from 0, so float32 round-off cannot flip a unit.
RELU_MARGIN = 1e-3
# Hand-unrolled loops against the nn modules, both float64: summation order only.
SAME_MATH_64 = 1e-12


# ---------------------------------------------------------------------------------------------
# Random draws and JSON


class Draw:
    """The seeded draws of one case (float64 unless said otherwise)."""

    def __init__(self, name):
        self.gen = torch.Generator().manual_seed(SEED + zlib.crc32(name.encode()))

    def normal(self, *shape, scale=1.0):
        return torch.randn(*shape, generator=self.gen, dtype=torch.float64) * scale

    def uniform(self, *shape, bound=1.0):
        return (torch.rand(*shape, generator=self.gen, dtype=torch.float64) * 2 - 1) * bound

    def integers(self, high, *shape):
        return torch.randint(0, high, shape, generator=self.gen, dtype=torch.int64)


def to_json(v):
    """Tensors as {shape, data, dtype?}; floats with repr (json does); dicts and lists recursively."""
    if isinstance(v, torch.Tensor):
        t = {"shape": list(v.shape), "data": v.detach().flatten().tolist()}
        if v.dtype == torch.int64:
            t["dtype"] = "int64"
        elif v.dtype == torch.bool:
            t["dtype"] = "bool"
        else:
            t["data"] = [float(x) for x in t["data"]]
        return t
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    return v


def floats(v):
    """Everything as a flat float64 tensor (booleans as 0/1, lists concatenated)."""
    if isinstance(v, torch.Tensor):
        return v.detach().double().flatten()
    if isinstance(v, (list, tuple)):
        return torch.cat([floats(x) for x in v])
    return torch.tensor([float(v)], dtype=torch.float64)


def cast(inputs, dtype):
    """The float tensors of `inputs` (nested) in `dtype`; integer and boolean tensors as they are."""
    if isinstance(inputs, torch.Tensor):
        return inputs.to(dtype) if inputs.is_floating_point() else inputs
    if isinstance(inputs, dict):
        return {k: cast(x, dtype) for k, x in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return [cast(x, dtype) for x in inputs]
    return inputs


# ---------------------------------------------------------------------------------------------
# Float32 check of each case


def ratio(actual, expected, tol):
    """Worst |a - e| / (atol + rtol*|e|) (0/0 counts as 0)."""
    a, e = floats(actual), floats(expected)
    diff = (a - e).abs()
    allowed = tol["atol"] + tol["rtol"] * e.abs()
    r = torch.where(diff == 0, torch.zeros_like(diff), diff / allowed)
    return float(r.max()) if r.numel() else 0.0


def row_ratio(actual, expected, tol, rows):
    """Row-relative worst ||a_t - e_t|| / (atol + rtol*||e_t||) over `rows` rows (vanishing grad_h/grad_c)."""
    a, e = floats(actual).reshape(rows, -1), floats(expected).reshape(rows, -1)
    diff, norm = (a - e).norm(dim=1), e.norm(dim=1)
    return float((diff / (tol["atol"] + tol["rtol"] * norm)).max())


def float32_worst(expected, actual32, tolerances, row_keys=(), rows=0):
    """torch_float32_worst_ratio: PyTorch in float32 against the float64 values, per tolerance kind."""
    tol32 = tolerances["float32"]
    worst = {kind: 0.0 for kind in tol32}
    for key, e in expected.items():
        kind = "gradient" if key.startswith("grad_") and "gradient" in tol32 else "forward"
        pairs = [(actual32[key][k], e[k]) for k in e] if isinstance(e, dict) else [(actual32[key], e)]
        for a, ev in pairs:
            r = row_ratio(a, ev, tol32[kind], rows) if key in row_keys else ratio(a, ev, tol32[kind])
            worst[kind] = max(worst[kind], r)
    return {kind: float(f"{r:.3g}") for kind, r in worst.items()}


def make_case(name, config, inputs, run, tolerances, note=None, row_keys=(), rows=0):
    """Runs `run(config, inputs, dtype)` in float64 (the expected values) and float32 (the check)."""
    expected = run(config, inputs, torch.float64)
    actual32 = run(config, cast(inputs, torch.float32), torch.float32)
    worst = float32_worst(expected, actual32, tolerances, row_keys, rows)
    if any(r > 1 for r in worst.values()):
        raise AssertionError(f"{name}: PyTorch in float32 misses the float32 tolerances: {worst}")
    case = {"name": name, "config": config, "inputs": to_json(inputs), "expected": to_json(expected),
            "tolerances": {**tolerances, "torch_float32_worst_ratio": worst}}
    if note:
        case["note"] = note
    return case
