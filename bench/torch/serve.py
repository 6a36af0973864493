# The twin as a measuring server: `npm run bench -- --torch` starts it once (src/bench/twin.ts) and
# sends one JSON request per line on stdin; each reply is one JSON line on stdout. Times are taken
# here (time.perf_counter), so they hold no pipe or JSON overhead. The parent alternates requests
# with its own tfjs runs, so both measure under the same machine conditions.
#
#   {"cmd": "build", "config": {...presetConfig(name)...}, "batch": 8, "seed": 0,
#    "optimizer": {"kind": "adamw" | "sgd", "lr": 3e-3, "momentum": 0, "beta1": 0.9, "beta2": 0.99,
#                  "weightDecay": 0.05, "clipNorm": 40}}   (the kit's OptimizerConfig + clipNorm)
#        -> {"ok": true, "params": 1234, "input": [N, 3, T, H, W], "torch": "2.13.0+cpu", "threads": 2}
#   {"cmd": "train", "n": 3}    -> {"ok": true, "ms": [..3 step times..], "loss": 2.07}
#   {"cmd": "forward", "n": 3}  -> {"ok": true, "ms": [..3 forward times..]}
#   {"cmd": "quit"}             (or end of input) -> exits
# A failed request answers {"ok": false, "error": "..."}; the server keeps serving.
#
# usage: python -B bench/torch/serve.py [--threads N]
import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F

from slowfast_twin import SlowFastTwin, param_count


def make_optimizer(model, spec):
    """The kit's optimisers (src/train/optimizer.ts) as PyTorch's own: SGD decays every parameter;
    AdamW decays conv and fc weights only (rank >= 2), not batch-norm parameters or biases."""
    params = [p for p in model.parameters() if p.requires_grad]
    kind, lr, wd = spec["kind"], spec["lr"], spec.get("weightDecay", 0.0)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=spec.get("momentum", 0.0), weight_decay=wd)
    if kind == "adamw":
        groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": wd},
                  {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=lr, betas=(spec["beta1"], spec["beta2"]), eps=1e-8)
    raise ValueError(f"unknown optimizer kind {kind!r}; choose adamw or sgd")


class Session:
    """One preset at one batch size: model, optimizer and a fixed random batch."""

    def __init__(self, req):
        torch.manual_seed(req.get("seed", 0))
        self.model = SlowFastTwin(req["config"])
        self.spec = req["optimizer"]
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(self.model, self.spec)
        batch = req["batch"]
        self.clips = torch.randn(self.model.input_shape(batch))
        self.labels = torch.arange(batch) % req["config"]["numClasses"]

    def train_step(self):
        """The kit's trainStep (src/train/step.ts): forward (training mode), cross-entropy, gradients,
        clipping of the raw gradients' global norm, update (with its weight decay); a non-finite
        loss skips the update."""
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.model(self.clips)
        loss = F.cross_entropy(logits, self.labels)
        int((logits.argmax(1) == self.labels).sum())  # the kit's `correct`
        loss.backward()
        value = loss.item()
        if not math.isfinite(value):
            return value
        clip = self.spec.get("clipNorm")
        torch.nn.utils.clip_grad_norm_(self.params, clip if clip is not None else math.inf)
        self.optimizer.step()
        return value

    def forward(self):
        self.model.eval()
        with torch.no_grad():
            self.model(self.clips)

    def timed(self, fn, n):
        times, out = [], None
        for _ in range(n):
            t0 = time.perf_counter()
            out = fn()
            times.append((time.perf_counter() - t0) * 1000.0)
        return times, out


def handle(req, state):
    cmd = req.get("cmd")
    if cmd == "build":
        state["session"] = None  # free the previous preset's model before building the next
        s = state["session"] = Session(req)
        return {"params": param_count(s.model), "input": list(s.model.input_shape(req["batch"])),
                "torch": torch.__version__, "threads": torch.get_num_threads()}
    s = state.get("session")
    if s is None:
        raise RuntimeError(f"{cmd!r} before 'build'")
    if cmd == "train":
        ms, loss = s.timed(s.train_step, int(req.get("n", 1)))
        return {"ms": ms, "loss": loss}
    if cmd == "forward":
        ms, _ = s.timed(s.forward, int(req.get("n", 1)))
        return {"ms": ms}
    raise ValueError(f"unknown cmd {cmd!r}; expected build, train, forward or quit")


def main():
    ap = argparse.ArgumentParser(description="the PyTorch twin as a measuring server (JSON lines on stdin/stdout)")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    out = sys.stdout
    sys.stdout = sys.stderr  # anything printed by accident must not corrupt the protocol
    state = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if req.get("cmd") == "quit":
                break
            reply = {"ok": True, **handle(req, state)}
        except Exception as err:  # noqa: BLE001 - reported to the parent, which decides
            reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
