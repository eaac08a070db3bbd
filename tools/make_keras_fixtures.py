"""Keras import fixtures: small Keras models saved by Keras itself as `.keras` (Keras 3 zip) and
`.h5` (legacy HDF5), with inputs and Keras's `model.predict` outputs at batch/time sizes other
than any used while building them.

Written by (from the repository root, Keras 3.15.1 on the JAX 0.10.2 backend, h5py 3.16.0,
numpy 2.4.6):

    KERAS_BACKEND=jax /work/kerasenv/bin/python tools/make_keras_fixtures.py test/fixtures/keras

Each case NAME gives NAME.keras or NAME.h5 and one entry in cases.json: {name, file, input,
expected} (tensors as {shape, data} row-major, floats as the reprs of the float32 values Keras
computed; integer token ids for models that start with an Embedding), plus `refused` (a fragment of
the expected message) for a model rnnkit must refuse. Read by
test/keras-import.test.ts; the tests need no Python. Weights are drawn from a fixed seed and
the biases set to non-zero values so that every weight matters. Models are built in a fixed order
(`cases()`, then `later()`, new ones appended at its end) so that adding one leaves the others'
weights, inputs and outputs unchanged; `.keras` files also record the save date, so only new
fixtures need to be copied in after a run.
"""
import json
import os
import sys

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(7)
RNG = np.random.default_rng(11)


def randomize_biases(model):
    """Keras initializes biases to zero (and LSTM's forget bias to one); draw them instead."""
    for w in model.weights:
        if "bias" in w.path:
            w.assign(RNG.uniform(-0.5, 0.5, size=w.shape).astype("float32"))


def tensor(a):
    a = np.asarray(a)
    if a.dtype.kind in "iu":
        return {"shape": list(a.shape), "data": [int(v) for v in a.reshape(-1)]}
    return {"shape": list(a.shape), "data": [float(v) for v in a.astype(np.float32).reshape(-1)]}


def seq(*stack, features=3, ints=False):
    shape = (None,) if ints else (None, features)
    return keras.Sequential([keras.Input(shape=shape, dtype="int32" if ints else "float32"), *stack])


def cases():
    """(name, extension, model, input) for the supported models."""
    out = []
    f = lambda B, T, I=3: RNG.normal(size=(B, T, I)).astype("float32")

    out.append(("lstm_softmax", "keras", seq(layers.LSTM(5), layers.Dense(4, activation="softmax")), f(2, 7)))
    out.append(("lstm_softmax_h5", "h5", seq(layers.LSTM(5), layers.Dense(4, activation="softmax")), f(3, 4)))
    out.append(("gru_seq", "keras", seq(layers.GRU(4, return_sequences=True), layers.TimeDistributed(layers.Dense(2))), f(2, 6)))
    out.append(("gru_seq_h5", "h5", seq(layers.GRU(4, return_sequences=True), layers.Dense(2)), f(1, 5)))
    out.append(("embed_gru", "keras", seq(layers.Embedding(10, 4), layers.GRU(5), layers.Dense(3), ints=True),
                RNG.integers(0, 10, size=(3, 6)).astype("int32")))
    out.append(("embed_gru_lstm_h5", "h5",
                seq(layers.Embedding(12, 4), layers.GRU(5, return_sequences=True), layers.LSTM(3), layers.Dense(2, activation="sigmoid"), ints=True),
                RNG.integers(0, 12, size=(2, 5)).astype("int32")))
    out.append(("simplernn_relu", "keras", seq(layers.SimpleRNN(6, activation="relu", return_sequences=True), layers.Dense(2)), f(2, 5)))
    out.append(("bi_concat_sum", "keras",
                seq(layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                    layers.Bidirectional(layers.GRU(3), merge_mode="sum"), layers.Dense(2)), f(2, 6)))
    out.append(("bi_ave_mul_h5", "h5",
                seq(layers.Bidirectional(layers.SimpleRNN(3, return_sequences=True), merge_mode="ave"),
                    layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="mul"), layers.Dense(2, activation="tanh")), f(2, 4)))
    out.append(("bi_lstm_concat", "keras",
                seq(layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                    layers.Bidirectional(layers.LSTM(4, return_sequences=True)), layers.Dense(2)), f(3, 5)))
    out.append(("go_backwards", "keras",
                seq(layers.LSTM(4, go_backwards=True, return_sequences=True), layers.GRU(3, go_backwards=True), layers.Dense(2)), f(2, 6)))
    out.append(("go_backwards_h5", "h5",
                seq(layers.SimpleRNN(4, go_backwards=True, return_sequences=True), layers.Dense(2)), f(2, 5)))

    inp = keras.Input(shape=(None, 3), name="series")
    h = layers.LSTM(4, return_sequences=True, name="enc")(inp)
    h = layers.Dropout(0.3)(h)
    h = layers.GRU(3, name="dec")(h)
    y = layers.Dense(2, activation="tanh", name="out")(h)
    for name, ext in (("functional", "keras"), ("functional_h5", "h5")):
        out.append((name, ext, keras.Model(inp, y), f(2, 7)))

    inp = keras.Input(shape=(None, 3))
    a = layers.LSTM(4, return_sequences=True)(inp)
    b = layers.GRU(4, return_sequences=True, go_backwards=False)(inp)
    h = layers.Concatenate()([a, b])
    h = layers.Add()([layers.LSTM(3)(h), layers.SimpleRNN(3)(h)])
    y = layers.Dense(2)(h)
    out.append(("branches", "keras", keras.Model(inp, y), f(2, 5)))

    # A compiled model trained for one epoch: its files also hold the optimizer's state.
    trained = seq(layers.GRU(4), layers.Dense(2, activation="softmax"))
    trained.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    trained.fit(f(8, 5), RNG.integers(0, 2, size=(8,)), epochs=1, verbose=0)
    out.append(("trained_gru", "keras", trained, f(3, 3)))
    out.append(("trained_gru_h5", "h5", trained, f(2, 8)))

    out.append(("mixed_h5", "h5",
                seq(layers.SimpleRNN(4, return_sequences=True), layers.LSTM(5, return_sequences=True), layers.Dropout(0.2),
                    layers.GRU(3), layers.Dense(2, activation="relu")), f(3, 6)))
    return out


def later():
    """(name, extension, model, fragment or None): models built after `cases()`, in this order so that the
    seeded draws of every earlier model stay the same. A fragment marks a model rnnkit must refuse."""
    return [
        ("lstm_hard_sigmoid", "keras", seq(layers.LSTM(3, recurrent_activation="hard_sigmoid"), layers.Dense(2)), None),
        ("gru_reset_before_h5", "h5", seq(layers.GRU(3, reset_after=False), layers.Dense(2)), None),
        ("conv_refused", "keras", seq(layers.Conv1D(2, 2), layers.LSTM(3), layers.Dense(2)), "Conv1D"),
        # Keras 3's hard_sigmoid (clip(x/6 + 0.5, 0, 1)) on both gates of a reset-before GRU.
        ("gru_hard_reset_before", "keras",
         seq(layers.GRU(4, reset_after=False, recurrent_activation="hard_sigmoid", return_sequences=True), layers.Dense(2)), None),
        ("bi_gru_reset_before_h5", "h5",
         seq(layers.Bidirectional(layers.GRU(3, reset_after=False, return_sequences=True)),
             layers.Bidirectional(layers.GRU(3, reset_after=False), merge_mode="sum"), layers.Dense(2)), None),
        # Kernels scaled up (in main) so that the hard sigmoids' clipping at |x| > 3 is reached, not only their linear part.
        ("hard_sigmoid_wide", "keras",
         seq(layers.LSTM(4, recurrent_activation="hard_sigmoid", return_sequences=True),
             layers.GRU(3, reset_after=False, recurrent_activation="hard_sigmoid"), layers.Dense(2)), None),
    ]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for name, ext, model, x in cases():
        # Build at a batch and time size different from the prediction input's.
        model(np.zeros((4, 9), "int32") if x.dtype.kind in "iu" else np.zeros((4, 9, 3), "float32"))
        randomize_biases(model)
        if name == "mixed_h5":
            # A relu head: positive biases so that its outputs are not all clipped to zero.
            model.layers[-1].bias.assign(RNG.uniform(0.2, 0.6, size=model.layers[-1].bias.shape).astype("float32"))
        file = f"{name}.{ext}"
        model.save(os.path.join(out_dir, file))
        y = model.predict(x, verbose=0)
        entries.append({"name": name, "file": file, "input": tensor(x), "expected": tensor(y)})
    for name, ext, model, fragment in later():
        model(np.zeros((4, 9, 3), "float32"))
        randomize_biases(model)
        if name.endswith("_wide"):
            for w in model.weights:
                if "kernel" in w.path:
                    w.assign(w.numpy() * 4)
        file = f"{name}.{ext}"
        model.save(os.path.join(out_dir, file))
        # Keras's outputs for refused models too, so that a test can become a parity check.
        x = RNG.normal(size=(2, 5, 3)).astype("float32")
        refusal = {} if fragment is None else {"refused": fragment}
        entries.append({"name": name, "file": file, **refusal, "input": tensor(x), "expected": tensor(model.predict(x, verbose=0))})
    with open(os.path.join(out_dir, "cases.json"), "w") as fh:
        json.dump({"keras": keras.__version__, "backend": keras.backend.backend(), "cases": entries}, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/keras")
