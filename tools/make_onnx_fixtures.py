"""ONNX import fixtures: small PyTorch recurrent models exported by PyTorch's own ONNX exporter,
with inputs and PyTorch's outputs at batch/time sizes other than the export's example input.

Written by (from the repository root, PyTorch 1.13 from Debian's python3-torch, numpy 1.24):

    /usr/bin/python3 tools/make_onnx_fixtures.py test/fixtures/onnx

Each case NAME gives NAME.onnx (torch.onnx.export, opset 14, dynamic batch and time axes)
and one entry in cases.json (recurrent stacks the importer lifts into rnnkit modules), in
token_cases.json (Embedding → recurrent stack → Linear, lifted with the embedding; the same
entries as graph_cases.json) or in
graph_cases.json (models it runs with its general graph interpreter: embeddings, activations
and arithmetic after the recurrent layer, states as graph inputs, indexing; inputs and outputs
by name, several of each, int64 token ids as integers): {name, file, module, config, inputs, expected}, tensors as
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


class EmbedLstmLogSoftmax(nn.Module):
    """Token ids [T, B] (int64) → Embedding → LSTM → Linear → LogSoftmax over the vocabulary."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.rnn = nn.LSTM(4, 5)
        self.fc = nn.Linear(5, 10)

    def forward(self, ids):
        y, _ = self.rnn(self.embed(ids))
        return torch.log_softmax(self.fc(y), dim=-1)


class EmbedSeq(nn.Module):
    """Token ids → Embedding → recurrent stack → Linear at every step (no output activation)."""

    def __init__(self, vocab, rnn, out):
        super().__init__()
        self.embed = nn.Embedding(vocab, rnn.input_size)
        self.rnn = rnn
        self.fc = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), out)

    def forward(self, ids):
        y, _ = self.rnn(self.embed(ids))
        return self.fc(y)


class EmbedFinalState(nn.Module):
    """Token ids → Embedding → recurrent stack → Linear on the top layer's final hidden state."""

    def __init__(self, vocab, rnn, out):
        super().__init__()
        self.embed = nn.Embedding(vocab, rnn.input_size)
        self.rnn = rnn
        self.fc = nn.Linear(rnn.hidden_size, out)

    def forward(self, ids):
        _, state = self.rnn(self.embed(ids))
        h = state[0] if isinstance(state, tuple) else state
        return self.fc(h[-1])


class GruResidual(nn.Module):
    """tanh(GRU(x)·2 − 1) + Linear(x): arithmetic on the sequence output and a residual path."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(3, 4)
        self.skip = nn.Linear(3, 4)

    def forward(self, x):
        y, _ = self.rnn(x)
        return torch.tanh(y * 2 - 1) + self.skip(x)


class LstmStates(nn.Module):
    """An LSTM whose initial state (h0, c0) is given as graph inputs; returns y, h_n, c_n."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 5)

    def forward(self, x, h0, c0):
        y, (h, c) = self.rnn(x, (h0, c0))
        return y, h, c


class BiGruLastBatchFirst(nn.Module):
    """A batch-first bidirectional GRU whose last step is selected by indexing: out[:, -1, :]."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(3, 4, batch_first=True, bidirectional=True)

    def forward(self, x):
        y, _ = self.rnn(x)
        return y[:, -1, :]


class SoftmaxLinear(nn.Module):
    """Softmax over a Linear of per-step features [B, T, 3]."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)

    def forward(self, x):
        return torch.softmax(self.fc(x), dim=-1)


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

# name, module builder, inputs: (name, kind, layout) with layout letters B, T and sizes; outputs' names.
GRAPH_CASES = [
    ("emb_lstm_logsoftmax", EmbedLstmLogSoftmax, [("ids", "ids10", "TB")], ["logp"]),
    ("gru_residual", GruResidual, [("x", "float", "TB3")], ["y"]),
    ("lstm_h0c0", LstmStates, [("x", "float", "TB3"), ("h0", "float", "1B5"), ("c0", "float", "1B5")], ["y", "h_n", "c_n"]),
    ("bigru_bf_last", BiGruLastBatchFirst, [("x", "float", "BT3")], ["last"]),
    ("softmax_linear", SoftmaxLinear, [("x", "float", "BT3")], ["p"]),
]

# Lifted with the embedding: written to token_cases.json in graph_cases.json's format (ids are in [0, 10)).
TOKEN_CASES = [
    ("emb_lstm_seq", lambda: EmbedSeq(10, nn.LSTM(4, 5), 3), [("ids", "ids10", "TB")], ["y"]),
    ("emb_gru_bf_seq", lambda: EmbedSeq(10, nn.GRU(3, 4, batch_first=True, bidirectional=True), 2), [("ids", "ids10", "BT")], ["y"]),
    ("emb_gru2_bf_hn", lambda: EmbedFinalState(10, nn.GRU(3, 4, num_layers=2, batch_first=True), 2), [("ids", "ids10", "BT")], ["y"]),
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
    graph_cases = [graph_case(out_dir, k, *case) for k, case in enumerate(GRAPH_CASES)]
    meta = {**meta, "cases": graph_cases}
    with open(os.path.join(out_dir, "graph_cases.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    # Seeds 300 + k: the cases above keep theirs, so their files are unchanged.
    token_cases = [graph_case(out_dir, 100 + k, *case) for k, case in enumerate(TOKEN_CASES)]
    with open(os.path.join(out_dir, "token_cases.json"), "w") as f:
        json.dump({**meta, "cases": token_cases}, f, indent=1)
        f.write("\n")


def graph_input(kind, layout, b, t):
    """A random input of the given layout at batch b and time t (int64 ids in [0, 10) for ids10)."""
    shape = [b if c == "B" else t if c == "T" else int(c) for c in layout]
    if kind == "ids10":
        return torch.randint(0, 10, shape, dtype=torch.int64)
    return torch.randn(*shape)


def graph_case(out_dir, k, name, build, inputs, outputs):
    """Exports one graph case with dynamic B and T axes; returns its cases.json entry."""
    torch.manual_seed(200 + k)
    model = build().eval()
    dynamic = {}
    for n, _, layout in inputs:
        dynamic[n] = {i: ("batch" if c == "B" else "time") for i, c in enumerate(layout) if c in "BT"}
    path = os.path.join(out_dir, name + ".onnx")
    example = tuple(graph_input(kind, layout, EXPORT_B, EXPORT_T) for _, kind, layout in inputs)
    torch.onnx.export(model, example, path, opset_version=OPSET, input_names=[n for n, _, _ in inputs],
                      output_names=outputs, dynamic_axes=dynamic)
    runs = []
    for b, t in RUNS:
        xs = [graph_input(kind, layout, b, t) for _, kind, layout in inputs]
        with torch.no_grad():
            ys = model(*xs)
        ys = ys if isinstance(ys, tuple) else (ys,)
        runs.append({
            "inputs": {n: {"shape": list(x.shape), "data": x.reshape(-1).tolist(), "dtype": str(x.dtype).replace("torch.", "")} | ({} if x.dtype == torch.int64 else tensor_json(x))
                       for (n, _, _), x in zip(inputs, xs)},
            "outputs": {n: tensor_json(y) for n, y in zip(outputs, ys)},
        })
    return {"name": name, "file": name + ".onnx", "module": repr(model), "runs": runs}


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/onnx")
