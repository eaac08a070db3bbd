"""vanishing.json: ‖∂L/∂h_t‖ (LSTM also ‖∂L/∂c_t‖) for every step of one layer with
L = Σ w_out ⊙ h_{T-1}, by a hand-unrolled loop whose states keep their own gradients."""
import math

import torch

from .common import SAME_MATH_64, TOL_VANISHING, Draw, make_case
from .layers import build_layer, layer_config, layer_shapes


VAN_I, VAN_H, VAN_T = 3, 8, 30


def unrolled_states(config, p, x, h0, c0):
    """h_t (and c_t) for t = 0..T-1 by the cell equations, each kept for its own gradient."""
    H = config["hidden_size"]
    h, c, hs, cs = h0, c0, [], []
    for t in range(x.shape[0]):
        gi = x[t] @ p["weight_ih_l0"].T + p["bias_ih_l0"]
        gh = h @ p["weight_hh_l0"].T + p["bias_hh_l0"]
        if config["module"] == "RNN":
            h = torch.tanh(gi + gh)
        elif config["module"] == "LSTM":
            g = gi + gh
            i, f, o = torch.sigmoid(g[:, :H]), torch.sigmoid(g[:, H:2 * H]), torch.sigmoid(g[:, 3 * H:])
            c = f * c + i * torch.tanh(g[:, 2 * H:3 * H])
            h = o * torch.tanh(c)
            c.retain_grad()
            cs.append(c)
        else:
            r = torch.sigmoid(gi[:, :H] + gh[:, :H])
            z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            h = (1 - z) * n + z * h
        h.retain_grad()
        hs.append(h)
    return hs, cs


def run_vanishing(config, inputs, dtype):
    lstm = config["module"] == "LSTM"
    p = inputs["params"]
    h0 = inputs["h0"][0].clone().requires_grad_()
    c0 = inputs["c0"][0].clone().requires_grad_() if lstm else None
    hs, cs = unrolled_states(config, p, inputs["x"], h0, c0)
    with torch.no_grad():
        module_out, _ = build_layer(config, p, dtype)(inputs["x"], (inputs["h0"], inputs["c0"]) if lstm else inputs["h0"])
    output = torch.stack(hs)
    same = SAME_MATH_64 if dtype == torch.float64 else TOL_VANISHING["float32"]["forward"]["atol"]
    assert (module_out - output).abs().max() <= same, "the unrolled loop disagrees with the nn module"
    loss = (hs[-1][0] * inputs["w_out"]).sum()
    loss.backward()
    grad_h = torch.stack([h.grad for h in hs])
    expected = {"output": output, "loss": loss.item(), "grad_h": grad_h, "grad_h_norm": grad_h.flatten(1).norm(dim=1),
                "grad_h0_norm": float(h0.grad.norm())}
    if lstm:
        grad_c = torch.stack([c.grad for c in cs])
        expected.update({"grad_c": grad_c, "grad_c_norm": grad_c.flatten(1).norm(dim=1), "grad_c0_norm": float(c0.grad.norm())})
    return expected


def vanishing_case(name, mode, note, init_scale=1.0, forget_bias_shift=0.0):
    config = layer_config(mode, VAN_I, VAN_H, 1, False, VAN_T, 1)
    config["init_scale"] = init_scale
    if forget_bias_shift:
        config["forget_bias_shift"] = forget_bias_shift
    d = Draw(name)
    shapes = layer_shapes(config)
    names = list(shapes)
    inputs = {"x": d.normal(VAN_T, 1, VAN_I), "h0": torch.zeros(1, 1, VAN_H, dtype=torch.float64)}
    if mode == "LSTM":
        inputs["c0"] = torch.zeros(1, 1, VAN_H, dtype=torch.float64)
    inputs["param_order"] = names
    inputs["params"] = {n: d.uniform(*shapes[n], bound=init_scale / math.sqrt(VAN_H)) for n in names}
    inputs["params"]["bias_ih_l0"][VAN_H:2 * VAN_H] += forget_bias_shift
    inputs["w_out"] = d.normal(VAN_H)
    note32 = ("gradient tolerances have atol 0 because the norms span many orders of magnitude: compare grad_*_norm "
              "relatively; for the full grad_h/grad_c rows use ||a_t - e_t|| <= rtol * ||e_t||")
    tolerances = {k: dict(v) for k, v in TOL_VANISHING.items()}
    tolerances["note"] = note32
    return make_case(name, config, inputs, run_vanishing, tolerances, note, row_keys=("grad_h", "grad_c"), rows=VAN_T)


def vanishing_cases():
    return [
        vanishing_case("vanishing_rnn_tanh", "RNN_TANH", "tanh RNN, weights ~ U(-1/sqrt(H), 1/sqrt(H)): the gradient vanishes"),
        vanishing_case("vanishing_rnn_tanh_large_weights", "RNN_TANH", "weights ~ U(-3/sqrt(H), 3/sqrt(H)): the gradient falls far more slowly",
                       init_scale=3.0),
        vanishing_case("vanishing_lstm", "LSTM", "LSTM, weights ~ U(-1/sqrt(H), 1/sqrt(H))"),
        vanishing_case("vanishing_lstm_forget_bias", "LSTM", "forget-gate block of bias_ih_l0 shifted by +3: the gradient survives",
                       forget_bias_shift=3.0),
        vanishing_case("vanishing_gru", "GRU", "GRU, weights ~ U(-1/sqrt(H), 1/sqrt(H))"),
    ]
