"""ONNX import fixtures: small PyTorch recurrent models exported by PyTorch's own ONNX exporter,
with inputs and PyTorch's outputs at batch/time sizes other than the export's example input.

Written by (from the repository root, PyTorch 1.13 from Debian's python3-torch, numpy 1.24):

    /usr/bin/python3 tools/make_onnx_fixtures.py test/fixtures/onnx

Each case NAME gives NAME.onnx (torch.onnx.export, opset 14, dynamic batch and time axes)
and one entry in cases.json: {name, file, module, config, inputs, expected}, tensors as
{shape, data} row-major, floats as Python reprs of float32 values (float64 JSON numbers that
are exactly the float32 PyTorch computed). Read by test/onnx-import.test.ts; the tests need
no Python. Needs no `onnx` Python package.
"""
import json
import os
import sys

import torch
from torch import nn

OPSET = 14


class Seq(nn.Module):
    """Per-step head: y[t] = Linear(rnn(x)[t])."""

    def __init__(self, rnn, out):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), out)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y)


class Last(nn.Module):
    """Head on the last step's output: y = Linear(rnn(x)[last step])."""

    def __init__(self, rnn, out):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(rnn.hidden_size, out)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y[:, -1] if self.rnn.batch_first else y[-1])


class FinalState(nn.Module):
    """Head on the top layer's final hidden state: y = Linear(h_n[-1])."""

    def __init__(self, rnn, out):
        super().__init__()
        self.rnn = rnn
        self.fc = nn.Linear(rnn.hidden_size, out)

    def forward(self, x):
        _, state = self.rnn(x)
        h = state[0] if isinstance(state, tuple) else state
        return self.fc(h[-1])


def tensor_json(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


CASES = [
    # name, module builder, config, batch_first
    ("lstm_seq", lambda: Seq(nn.LSTM(3, 5), 2), {"cell": "lstm", "inputSize": 3, "hiddenSize": 5, "numLayers": 1, "bidirectional": False, "batchFirst": False, "outputSize": 2, "topology": "SequenceToSequence"}),
    ("gru_bi2_seq", lambda: Seq(nn.GRU(3, 4, num_layers=2, bidirectional=True), 2), {"cell": "gru", "inputSize": 3, "hiddenSize": 4, "numLayers": 2, "bidirectional": True, "batchFirst": False, "outputSize": 2, "topology": "SequenceToSequence"}),
    ("rnn_relu_bf_seq", lambda: Seq(nn.RNN(3, 6, nonlinearity="relu", batch_first=True), 2), {"cell": "rnn", "nonlinearity": "relu", "inputSize": 3, "hiddenSize": 6, "numLayers": 1, "bidirectional": False, "batchFirst": True, "outputSize": 2, "topology": "SequenceToSequence"}),
    ("lstm_bf_last", lambda: Last(nn.LSTM(3, 5, batch_first=True), 3), {"cell": "lstm", "inputSize": 3, "hiddenSize": 5, "numLayers": 1, "bidirectional": False, "batchFirst": True, "outputSize": 3, "topology": "SequenceToVector"}),
    ("gru_last", lambda: Last(nn.GRU(3, 4, num_layers=2), 2), {"cell": "gru", "inputSize": 3, "hiddenSize": 4, "numLayers": 2, "bidirectional": False, "batchFirst": False, "outputSize": 2, "topology": "SequenceToVector"}),
    ("lstm2_hn", lambda: FinalState(nn.LSTM(3, 4, num_layers=2), 2), {"cell": "lstm", "inputSize": 3, "hiddenSize": 4, "numLayers": 2, "bidirectional": False, "batchFirst": False, "outputSize": 2, "topology": "SequenceToVector"}),
]

EXPORT_B, EXPORT_T = 2, 4  # the example input's sizes at export
RUNS = [(3, 7), (1, 2)]  # (batch, time) the expected outputs are computed at


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(1)
    cases = []
    for k, (name, build, config) in enumerate(CASES):
        torch.manual_seed(100 + k)
        model = build().eval()
        bf = config["batchFirst"]
        shape = (lambda b, t: (b, t, 3)) if bf else (lambda b, t: (t, b, 3))
        axes = {0: "batch", 1: "time"} if bf else {0: "time", 1: "batch"}
        out_axes = axes if config["topology"] == "SequenceToSequence" else {0: "batch"}
        path = os.path.join(out_dir, name + ".onnx")
        torch.onnx.export(model, torch.randn(*shape(EXPORT_B, EXPORT_T)), path, opset_version=OPSET,
                          input_names=["x"], output_names=["y"], dynamic_axes={"x": axes, "y": out_axes})
        runs = []
        for b, t in RUNS:
            x = torch.randn(*shape(b, t))
            with torch.no_grad():
                y = model(x)
            runs.append({"x": tensor_json(x), "y": tensor_json(y)})
        cases.append({"name": name, "file": name + ".onnx", "module": repr(model), "config": config, "runs": runs})
    meta = {"producer": "torch " + torch.__version__, "opset": OPSET, "command": "/usr/bin/python3 tools/make_onnx_fixtures.py test/fixtures/onnx", "cases": cases}
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/onnx")
