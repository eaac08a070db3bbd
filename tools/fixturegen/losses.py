"""losses.json: MSE, softmax cross-entropy (class axis last; plain, sequence, masked) and
BCE-with-logits: the loss, the per-element losses and the gradient with respect to the input."""
import torch
import torch.nn.functional as F

from .common import TOL_LOSS, Draw, make_case


def loss_value(config, inputs, z, reduction):
    name = config["loss"]
    if name == "mse":
        return F.mse_loss(z, inputs["target"], reduction=reduction)
    if name == "bce_with_logits":
        return F.binary_cross_entropy_with_logits(z, inputs["target"], reduction=reduction)
    C = z.shape[-1]
    target = inputs["target"]
    if config["masked"]:
        target = torch.where(inputs["mask"], target, torch.full_like(target, -100))  # ignore_index
    out = F.cross_entropy(z.reshape(-1, C), target.reshape(-1), reduction=reduction, ignore_index=-100)
    return out.reshape(target.shape) if reduction == "none" else out


def run_loss(config, inputs, dtype):
    z = inputs["input"].clone().requires_grad_()
    loss = loss_value(config, inputs, z, config["reduction"])
    loss.backward()
    with torch.no_grad():
        per = loss_value(config, inputs, z, "none")
    return {"loss": loss.item(), "loss_per_element": per, "grad_input": z.grad}


def ce_config(C, reduction="mean", masked=False):
    return {"loss": "cross_entropy", "reduction": reduction, "num_classes": C, "class_dim": "last", "masked": masked}


def loss_case(name, config, make_inputs, note=None):
    return make_case(name, config, make_inputs(Draw(name)), run_loss, TOL_LOSS, note)


def masked_inputs(T, B, C, lengths):
    def make(d):
        mask = torch.arange(T)[:, None] < torch.tensor(lengths)[None, :]
        return {"input": d.normal(T, B, C), "target": d.integers(C, T, B),
                "lengths": torch.tensor(lengths, dtype=torch.int64), "mask": mask}
    return make


def bce_extreme(d):
    x = d.uniform(8, bound=100.0)
    x[0], x[1] = 100.0, -100.0
    return {"input": x, "target": d.integers(2, 8).double()}


def loss_cases():
    masked_note = ("mean over valid positions only: sum(mask*nll)/sum(mask); mask[t,b] = t < lengths[b]; "
                   "targets at masked positions are valid class ids but must be ignored")
    return [
        loss_case("mse_mean", {"loss": "mse", "reduction": "mean"}, lambda d: {"input": d.normal(3, 4), "target": d.normal(3, 4)}),
        loss_case("mse_mean_sequence", {"loss": "mse", "reduction": "mean"},
                  lambda d: {"input": d.normal(4, 2, 3), "target": d.normal(4, 2, 3)}),
        loss_case("mse_sum", {"loss": "mse", "reduction": "sum"}, lambda d: {"input": d.normal(2, 3), "target": d.normal(2, 3)}),
        loss_case("cross_entropy_mean", ce_config(4), lambda d: {"input": d.normal(5, 4), "target": d.integers(4, 5)}),
        loss_case("cross_entropy_mean_sequence", ce_config(5),
                  lambda d: {"input": d.normal(3, 2, 5), "target": d.integers(5, 3, 2)},
                  note="logits [T,B,C], targets [T,B]; mean over all T*B positions"),
        loss_case("cross_entropy_masked_sequence", ce_config(4, masked=True), masked_inputs(4, 3, 4, [2, 4, 1]),
                  note=masked_note),
        loss_case("cross_entropy_masked_sum", ce_config(3, "sum", masked=True), masked_inputs(3, 2, 3, [3, 1]),
                  note="sum of nll over the valid positions; masked positions give 0"),
        loss_case("cross_entropy_sum", ce_config(3, "sum"), lambda d: {"input": d.normal(4, 3), "target": d.integers(3, 4)}),
        loss_case("cross_entropy_large_logits", ce_config(5), lambda d: {"input": d.normal(3, 5, scale=100.0), "target": d.integers(5, 3)},
                  note="logits of magnitude ~100: needs the max-subtracted log-sum-exp"),
        loss_case("cross_entropy_two_classes", ce_config(2), lambda d: {"input": d.normal(3, 2), "target": d.integers(2, 3)}),
        loss_case("bce_with_logits_mean", {"loss": "bce_with_logits", "reduction": "mean"},
                  lambda d: {"input": d.normal(3, 4, scale=2.0), "target": d.integers(2, 3, 4).double()}),
        loss_case("bce_with_logits_soft_targets", {"loss": "bce_with_logits", "reduction": "mean"},
                  lambda d: {"input": d.normal(6, scale=2.0), "target": (d.uniform(6) + 1) / 2}),
        loss_case("bce_with_logits_extreme", {"loss": "bce_with_logits", "reduction": "mean"}, bce_extreme,
                  note="|logits| up to 100: needs max(x,0) - x*y + log1p(exp(-|x|))"),
        loss_case("bce_with_logits_sum", {"loss": "bce_with_logits", "reduction": "sum"},
                  lambda d: {"input": d.normal(2, 3, scale=2.0), "target": d.integers(2, 2, 3).double()}),
    ]
