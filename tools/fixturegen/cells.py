"""cells.json: one step of nn.RNNCell / nn.LSTMCell / nn.GRUCell with the gradients of
Σ h_next⊙grad_h_next (+ Σ c_next⊙grad_c_next)."""
import math

import torch
from torch import nn

from .common import RELU_MARGIN, TOL_RECURRENT, Draw, make_case

CELLS = {"RNNCell": nn.RNNCell, "LSTMCell": nn.LSTMCell, "GRUCell": nn.GRUCell}
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def run_cell(config, inputs, dtype):
    lstm = config["cell"] == "LSTMCell"
    kwargs = {"nonlinearity": config["nonlinearity"]} if config["cell"] == "RNNCell" else {}
    cell = CELLS[config["cell"]](config["input_size"], config["hidden_size"], bias=config["bias"], **kwargs).to(dtype)
    with torch.no_grad():
        for n, p in cell.named_parameters():
            p.copy_(inputs["params"][n])
    x = inputs["x"].clone().requires_grad_()
    h = inputs["h"].clone().requires_grad_()
    if lstm:
        c = inputs["c"].clone().requires_grad_()
        h_next, c_next = cell(x, (h, c))
        loss = (h_next * inputs["grad_h_next"]).sum() + (c_next * inputs["grad_c_next"]).sum()
    else:
        h_next = cell(x, h)
        loss = (h_next * inputs["grad_h_next"]).sum()
    loss.backward()
    expected = {"h_next": h_next}
    if lstm:
        expected["c_next"] = c_next
    expected.update({"surrogate_loss": loss.item(), "grad_x": x.grad, "grad_h": h.grad})
    if lstm:
        expected["grad_c"] = c.grad
    expected["grad_params"] = {n: p.grad for n, p in cell.named_parameters()}
    return expected


def cell_case(name, cell, I, H, B, nonlinearity=None, bias=True):
    mode = {"LSTMCell": "LSTM", "GRUCell": "GRU"}.get(cell) or f"RNN_{nonlinearity.upper()}"
    config = {"cell": cell, "mode": mode, "nonlinearity": nonlinearity, "input_size": I, "hidden_size": H,
              "batch": B, "bias": bias}
    G = GATES[mode]
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
    shapes = {"weight_ih": (G * H, I), "weight_hh": (G * H, H), "bias_ih": (G * H,), "bias_hh": (G * H,)}
    draw = Draw(name)
    for _ in range(100):
        inputs = {"x": draw.normal(B, I), "h": draw.uniform(B, H)}
        if cell == "LSTMCell":
            inputs["c"] = draw.uniform(B, H)
        inputs["param_order"] = names
        inputs["params"] = {n: draw.uniform(*shapes[n], bound=1 / math.sqrt(H)) for n in names}
        inputs["grad_h_next"] = draw.normal(B, H)
        if cell == "LSTMCell":
            inputs["grad_c_next"] = draw.normal(B, H)
        if nonlinearity != "relu":
            break
        p = inputs["params"]
        pre = inputs["x"] @ p["weight_ih"].T + inputs["h"] @ p["weight_hh"].T + (p["bias_ih"] + p["bias_hh"] if bias else 0)
        if pre.abs().min() >= RELU_MARGIN:
            break
    else:
        raise AssertionError(f"{name}: no draw keeps the ReLU pre-activations {RELU_MARGIN} away from 0")
    return make_case(name, config, inputs, run_cell, TOL_RECURRENT)


def cell_cases():
    return [
        cell_case("rnn_cell_tanh", "RNNCell", 3, 4, 2, nonlinearity="tanh"),
        cell_case("rnn_cell_relu", "RNNCell", 3, 4, 3, nonlinearity="relu"),
        cell_case("lstm_cell", "LSTMCell", 3, 4, 2),
        cell_case("gru_cell", "GRUCell", 3, 4, 2),
        cell_case("lstm_cell_B1_H1", "LSTMCell", 2, 1, 1),
        cell_case("gru_cell_B1_H1", "GRUCell", 2, 1, 1),
        cell_case("rnn_cell_tanh_no_bias", "RNNCell", 2, 3, 2, nonlinearity="tanh", bias=False),
        cell_case("lstm_cell_no_bias", "LSTMCell", 2, 3, 2, bias=False),
        cell_case("gru_cell_no_bias", "GRUCell", 2, 3, 2, bias=False),
        cell_case("lstm_cell_medium", "LSTMCell", 4, 8, 3),
        cell_case("gru_cell_medium", "GRUCell", 4, 8, 3),
    ]
