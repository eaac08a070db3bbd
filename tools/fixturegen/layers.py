"""rnn_layers.json: full nn.RNN / nn.LSTM / nn.GRU layers (every mode, 1-2 layers, bidirectional,
packed variable lengths, no bias), forward and the gradients of the surrogate loss
Σ output⊙grad_output + Σ h_n⊙grad_h_n (+ Σ c_n⊙grad_c_n)."""
import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .common import RELU_MARGIN, SAME_MATH_64, TOL_RECURRENT, Draw, make_case

MODULES = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


def layer_config(mode, I, H, L, bidirectional, T, B, bias=True, lengths=None, enforce_sorted=True):
    module = "RNN" if mode.startswith("RNN") else mode
    config = {"module": module, "mode": mode,
              "nonlinearity": {"RNN_TANH": "tanh", "RNN_RELU": "relu"}.get(mode),
              "input_size": I, "hidden_size": H, "num_layers": L, "bidirectional": bidirectional,
              "bias": bias, "batch_first": False, "seq_len": T, "batch": B, "packed": lengths is not None}
    if lengths is not None:
        config["enforce_sorted"] = enforce_sorted
    return config


def new_layer(config):
    """The nn module of a layer config, with PyTorch's own initial parameters."""
    kwargs = {"nonlinearity": config["nonlinearity"]} if config["module"] == "RNN" else {}
    return MODULES[config["module"]](config["input_size"], config["hidden_size"], num_layers=config["num_layers"],
                                     bias=config["bias"], bidirectional=config["bidirectional"], **kwargs)


def build_layer(config, params, dtype):
    """The layer in `dtype` with the case's parameters."""
    m = new_layer(config).to(dtype)
    with torch.no_grad():
        for n, p in m.named_parameters():
            p.copy_(params[n])
    return m


def layer_shapes(config):
    """Parameter name -> shape, in PyTorch's named_parameters() order."""
    return {n: tuple(p.shape) for n, p in new_layer(config).named_parameters()}


def run_layer(config, inputs, dtype):
    lstm = config["module"] == "LSTM"
    m = build_layer(config, inputs["params"], dtype)
    x = inputs["x"].clone().requires_grad_()
    h0 = inputs["h0"].clone().requires_grad_()
    c0 = inputs["c0"].clone().requires_grad_() if lstm else None
    seq = x
    if config["packed"]:
        seq = pack_padded_sequence(x, inputs["lengths"], enforce_sorted=config["enforce_sorted"])
    out, state = m(seq, (h0, c0) if lstm else h0)
    if config["packed"]:
        out, _ = pad_packed_sequence(out, total_length=config["seq_len"])
    h_n, c_n = state if lstm else (state, None)
    pairs = [(out, inputs["grad_output"]), (h_n, inputs["grad_h_n"])] + ([(c_n, inputs["grad_c_n"])] if lstm else [])
    loss = sum((a * g).sum() for a, g in pairs)
    loss.backward()
    expected = {"output": out, "h_n": h_n}
    if lstm:
        expected["c_n"] = c_n
    expected.update({"surrogate_loss": loss.item(), "grad_x": x.grad, "grad_h0": h0.grad})
    if lstm:
        expected["grad_c0"] = c0.grad
    expected["grad_params"] = {n: p.grad for n, p in m.named_parameters()}
    return expected


def relu_preactivations(config, inputs):
    """Every pre-activation of a ReLU stack (not packed), by plain loops; also checks the output."""
    H, L = config["hidden_size"], config["num_layers"]
    D = 2 if config["bidirectional"] else 1
    T = config["seq_len"]
    p = inputs["params"]
    layer_in, pres = inputs["x"], []
    for k in range(L):
        halves = []
        for d in range(D):
            sfx = f"_l{k}" + ("_reverse" if d else "")
            bias = p[f"bias_ih{sfx}"] + p[f"bias_hh{sfx}"] if config["bias"] else 0.0
            h, out = inputs["h0"][k * D + d], [None] * T
            for t in (reversed(range(T)) if d else range(T)):
                pre = layer_in[t] @ p[f"weight_ih{sfx}"].T + h @ p[f"weight_hh{sfx}"].T + bias
                pres.append(pre.flatten())
                h = out[t] = torch.relu(pre)
            halves.append(torch.stack(out))
        layer_in = torch.cat(halves, dim=-1)
    with torch.no_grad():
        torch_out, _ = build_layer(config, p, torch.float64)(inputs["x"], inputs["h0"])
    assert (torch_out - layer_in).abs().max() <= SAME_MATH_64, "the ReLU margin loop disagrees with nn.RNN"
    return torch.cat(pres)


def layer_inputs(config, draw, lengths):
    lstm = config["module"] == "LSTM"
    T, B, I, H = config["seq_len"], config["batch"], config["input_size"], config["hidden_size"]
    LD = config["num_layers"] * (2 if config["bidirectional"] else 1)
    shapes = layer_shapes(config)
    names = list(shapes)
    inputs = {"x": draw.normal(T, B, I), "h0": draw.uniform(LD, B, H)}
    if lstm:
        inputs["c0"] = draw.uniform(LD, B, H)
    if lengths is not None:
        inputs["lengths"] = torch.tensor(lengths, dtype=torch.int64)
    inputs["param_order"] = names
    inputs["params"] = {n: draw.uniform(*shapes[n], bound=1 / math.sqrt(H)) for n in names}
    inputs["grad_output"] = draw.normal(T, B, LD // config["num_layers"] * H)
    inputs["grad_h_n"] = draw.normal(LD, B, H)
    if lstm:
        inputs["grad_c_n"] = draw.normal(LD, B, H)
    return inputs


def layer_case(name, mode, I, H, L, bidirectional, T, B, bias=True, lengths=None, enforce_sorted=True, note=None):
    config = layer_config(mode, I, H, L, bidirectional, T, B, bias, lengths, enforce_sorted)
    draw = Draw(name)
    for _ in range(100):
        inputs = layer_inputs(config, draw, lengths)
        if mode != "RNN_RELU" or relu_preactivations(config, inputs).abs().min() >= RELU_MARGIN:
            break
    else:
        raise AssertionError(f"{name}: no draw keeps the ReLU pre-activations {RELU_MARGIN} away from 0")
    return make_case(name, config, inputs, run_layer, TOL_RECURRENT, note)


def layer_cases():
    cases = []
    for size, (I, H, L, bidir, T, B) in {"1layer": (3, 4, 1, False, 5, 2), "2layer": (3, 4, 2, False, 4, 2),
                                         "bidirectional": (2, 3, 1, True, 4, 2)}.items():
        for mode in ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]:
            cases.append(layer_case(f"{mode.lower()}_{size}", mode, I, H, L, bidir, T, B))
    cases += [
        layer_case("rnn_relu_2layer_bidirectional", "RNN_RELU", 2, 3, 2, True, 3, 2),
        layer_case("lstm_2layer_bidirectional", "LSTM", 2, 3, 2, True, 4, 2, note="layer 1 reads 2*H = 6 inputs"),
        layer_case("gru_2layer_bidirectional", "GRU", 2, 3, 2, True, 4, 3),
        layer_case("tiny_rnn_tanh_H1", "RNN_TANH", 1, 1, 1, False, 3, 1),
        layer_case("tiny_gru_H2_T2", "GRU", 1, 2, 1, False, 2, 1),
        layer_case("tiny_lstm_H3_T1", "LSTM", 2, 3, 1, False, 1, 1, note="a single step"),
        layer_case("tiny_rnn_relu_H4", "RNN_RELU", 2, 4, 1, False, 3, 3),
        layer_case("tiny_lstm_H1", "LSTM", 1, 1, 1, False, 4, 2),
        layer_case("tiny_gru_H1_bidirectional", "GRU", 1, 1, 1, True, 3, 1),
        layer_case("rnn_tanh_no_bias", "RNN_TANH", 2, 3, 1, False, 3, 2, bias=False),
        layer_case("lstm_no_bias", "LSTM", 3, 4, 1, False, 4, 2, bias=False),
        layer_case("gru_no_bias_2layer", "GRU", 2, 3, 2, False, 3, 2, bias=False),
    ]
    # Big enough that the default kernel thresholds hand the products and gates to WebAssembly.
    for mode in ["RNN_TANH", "LSTM", "GRU"]:
        cases.append(layer_case(f"{mode.lower()}_medium", mode, 4, 8, 1, False, 4, 2))
    cases += [
        layer_case("lstm_packed_sorted", "LSTM", 3, 4, 1, False, 5, 4, lengths=[5, 4, 2, 1]),
        layer_case("lstm_packed_unsorted", "LSTM", 3, 4, 1, False, 5, 4, lengths=[2, 5, 1, 4], enforce_sorted=False,
                   note="results in the original batch order"),
        layer_case("gru_packed_bidirectional", "GRU", 2, 3, 1, True, 4, 3, lengths=[2, 4, 3], enforce_sorted=False),
        layer_case("rnn_tanh_packed_2layer_bidirectional", "RNN_TANH", 2, 3, 2, True, 4, 3, lengths=[4, 3, 1]),
        layer_case("lstm_packed_2layer_bidirectional", "LSTM", 2, 3, 2, True, 4, 3, lengths=[1, 4, 2],
                   enforce_sorted=False),
    ]
    return cases
