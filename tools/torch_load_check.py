"""Loads an rnnkit model file into torch.nn.LSTM/GRU/RNN and prints the outputs for an input.

Reads the safetensors layout directly (header length, JSON header, little-endian data),
so it needs only PyTorch; with the `safetensors` package installed,
`safetensors.torch.load_file(path)` gives the same dict.
Usage: python3 tools/torch_load_check.py MODEL.safetensors INPUT.json OUTPUT.json
INPUT.json holds {"shape": [T, B, I], "data": [...]}; OUTPUT.json gets the output and h_n.
"""
import json
import struct
import sys

import torch


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    body = raw[8 + n :]
    meta = header.pop("__metadata__", {})
    dtypes = {"F32": torch.float32, "F64": torch.float64}
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(body[begin:end]), dtype=dtypes[e["dtype"]])
        tensors[name] = t.reshape(e["shape"])
    return tensors, meta


def main():
    model_path, input_path, output_path = sys.argv[1:4]
    tensors, meta = load_safetensors(model_path)
    spec = json.loads(meta["rnnkit.model"])
    o = spec["options"]
    kwargs = dict(input_size=o["inputSize"], hidden_size=o["hiddenSize"], num_layers=o.get("numLayers", 1),
                  bias=o.get("bias", True), batch_first=o.get("batchFirst", False), bidirectional=o.get("bidirectional", False))
    if spec["type"] == "LSTM":
        module = torch.nn.LSTM(**kwargs)
    elif spec["type"] == "GRU":
        module = torch.nn.GRU(**kwargs)
    else:
        module = torch.nn.RNN(nonlinearity=o.get("nonlinearity", "tanh"), **kwargs)
    module.load_state_dict(tensors, strict=True)  # names and shapes must fit exactly
    with open(input_path) as f:
        x = json.load(f)
    inp = torch.tensor(x["data"], dtype=torch.float32).reshape(x["shape"])
    with torch.no_grad():
        out, state = module(inp)
    h = state[0] if isinstance(state, tuple) else state
    with open(output_path, "w") as f:
        json.dump({"output": out.flatten().tolist(), "h_n": h.flatten().tolist()}, f)


if __name__ == "__main__":
    main()
