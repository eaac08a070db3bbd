"""optimizers.json: SGD, Adagrad, RMSprop, Adam and AdamW (each variant of their options) over
one parameter with a fixed gradient schedule: the parameter and the state after every step."""
import torch

from .common import TOL_VALUES, Draw, make_case


OPTIMIZERS = {"SGD": torch.optim.SGD, "Adagrad": torch.optim.Adagrad, "RMSprop": torch.optim.RMSprop,
              "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}
OPT_STEPS = 5


def optimizer_inputs():
    """One parameter and gradient schedule shared by every case; coordinates 0-3 are built to expose mistakes."""
    d = Draw("optimizers")
    N = 6
    grads = d.normal(OPT_STEPS, N)
    grads[:, 0] = 0.0  # always exactly 0
    grads[:, 1] *= 1e-9  # tiny: where eps sits decides the update
    grads[:, 2] = torch.tensor([3.0 * (-1) ** s for s in range(OPT_STEPS)])  # sign flips
    grads[:, 3] *= 10.0  # large
    return {"param0": d.normal(N), "grads": grads}


def run_optimizer(config, inputs, dtype):
    p = inputs["param0"].clone().requires_grad_()
    opt = OPTIMIZERS[config["optimizer"]]([p], **config["hyperparameters"])
    params, states = [], {}
    for s in range(config["steps"]):
        p.grad = inputs["grads"][s].clone()
        opt.step()
        params.append(p.detach().clone())
        for k, v in opt.state[p].items():
            if k != "step" and isinstance(v, torch.Tensor):
                states.setdefault(k, []).append(v.clone())
    return {"params_after_step": torch.stack(params), "state_after_step": {k: torch.stack(v) for k, v in states.items()}}


def optimizer_cases():
    inputs = optimizer_inputs()
    adam = {"lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8}
    rms = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}
    ada = {"lr": 0.1, "initial_accumulator_value": 0.0, "eps": 1e-10}
    table = [
        ("sgd", "SGD", {"lr": 0.1}, None),
        ("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9}, None),
        ("sgd_nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, None),
        ("sgd_momentum_dampening_weight_decay", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01},
         "first step: buffer = d_p (dampening NOT applied on the first step)"),
        ("adagrad", "Adagrad", ada, None),
        ("adagrad_initial_accumulator_0.1", "Adagrad", {**ada, "initial_accumulator_value": 0.1}, None),
        ("adagrad_lr_decay", "Adagrad", {**ada, "lr_decay": 0.1}, None),
        ("adagrad_weight_decay", "Adagrad", {**ada, "weight_decay": 0.05}, None),
        ("rmsprop", "RMSprop", rms, None),
        ("rmsprop_centered", "RMSprop", {**rms, "centered": True}, None),
        ("rmsprop_momentum", "RMSprop", {**rms, "momentum": 0.9}, None),
        ("rmsprop_centered_momentum_weight_decay", "RMSprop", {**rms, "centered": True, "momentum": 0.5, "weight_decay": 0.01}, None),
        ("adam", "Adam", adam, None),
        ("adam_l2_weight_decay", "Adam", {**adam, "weight_decay": 0.01}, "Adam's weight_decay is L2 added to the gradient (contrast with AdamW)"),
        ("adam_amsgrad", "Adam", {**adam, "amsgrad": True}, None),
        ("adamw", "AdamW", {**adam, "weight_decay": 0.01}, None),
        ("adamw_strong_decay", "AdamW", {**adam, "lr": 0.1, "weight_decay": 0.1}, "large lr*weight_decay so decoupled decay is clearly visible"),
        ("adamw_amsgrad", "AdamW", {**adam, "weight_decay": 0.01, "amsgrad": True}, None),
    ]
    return [make_case(name, {"optimizer": kind, "hyperparameters": hyper, "steps": OPT_STEPS}, inputs, run_optimizer, TOL_VALUES, note)
            for name, kind, hyper, note in table]
