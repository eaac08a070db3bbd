"""clipping.json: clip_grad_norm_ (2-norm, other p-norms, inf-norm, zero gradients) over several
tensors at once, and clip_grad_value_."""
import math

import torch

from .common import TOL_VALUES, Draw, make_case

# Clipping divides by (total_norm + CLIP_EPS), as torch.nn.utils.clip_grad_norm_ does.
CLIP_EPS = 1e-6


def total_norm(grads, norm_type):
    flat = torch.cat([g.flatten() for g in grads])
    return float(flat.abs().max()) if norm_type == math.inf else float(flat.abs().pow(norm_type).sum() ** (1 / norm_type))


def run_clipping(config, inputs, dtype):
    params = []
    for g in inputs["grads"]:
        p = torch.zeros_like(g, requires_grad=True)
        p.grad = g.clone()
        params.append(p)
    if config["function"] == "clip_grad_value_":
        torch.nn.utils.clip_grad_value_(params, config["clip_value"])
        return {"grads": [p.grad for p in params]}
    norm_type = math.inf if config["norm_type"] == "inf" else config["norm_type"]
    total = float(torch.nn.utils.clip_grad_norm_(params, config["max_norm"], norm_type))
    coef = min(config["max_norm"] / (total + CLIP_EPS), 1.0)
    return {"total_norm": total, "clip_coef": coef, "clipped": coef < 1, "norm_after": total_norm([p.grad for p in params], norm_type),
            "grads": [p.grad for p in params]}


def clipping_case(name, config, scale, shapes=((3, 4), (4,), (2, 3)), note=None):
    d = Draw(name)
    inputs = {"grads": [d.normal(*s, scale=scale) for s in shapes]}
    return make_case(name, config, inputs, run_clipping, TOL_VALUES, note)


def clipping_cases():
    def norm(max_norm, norm_type=2.0):
        return {"function": "clip_grad_norm_", "max_norm": max_norm, "norm_type": norm_type}
    return [
        clipping_case("clip_norm_max1", norm(1.0), 1.0),
        clipping_case("clip_norm_max5_not_clipped", norm(5.0), 0.5),
        clipping_case("clip_norm_max5_clipped", norm(5.0), 3.0),
        clipping_case("clip_norm_max1_single_tensor", norm(1.0), 1.0, shapes=((5,),)),
        clipping_case("clip_norm_max1_inf_norm", norm(1.0, "inf"), 1.0),
        clipping_case("clip_norm_max1_norm1", norm(1.0, 1.0), 1.0),
        clipping_case("clip_norm_max2_norm3", norm(2.0, 3.0), 1.0),
        clipping_case("clip_norm_zero_grads", norm(1.0), 0.0, note="total_norm 0, coef 1, no division by zero"),
        clipping_case("clip_value_5", {"function": "clip_grad_value_", "clip_value": 5.0}, 6.0),
    ]
