"""PyTorch's side of the weights tests (test/weights-roundtrip.test.ts, test/weights-r50.test.ts).

Runs only where PyTorch is installed and mmaction2's model code is on PYTHONPATH
(../shared/reference/mmaction2); the tests skip, saying why, when either is missing.

    python scripts/reference/torch_check.py roundtrip CONFIG.py CHECKPOINT.pth INPUT.npy
        mmaction2's real Recognizer parts built from the `model` dict of a config written by
        `slowfast export`, the checkpoint loaded as mmaction2's load_checkpoint does it
        (torch.load, then the state_dict with strict=True: every key present, none extra, every
        shape equal), here with weights_only=True so only tensors and plain values are accepted;
        prints {"keys": n, "logits": [[...]]} for the NCTHW input, eval mode.
    python scripts/reference/torch_check.py r50 MANIFEST.json PRESET OUT_DIR SIZE [--legacy]
        mmaction2's real R50 model for PRESET (its kwargs from the committed manifest), random
        weights and BN statistics, saved as OUT_DIR/r50.pth (torch.save of {meta, state_dict}; the
        legacy non-zip format with --legacy), a random NCTHW input of SIZE x SIZE as
        OUT_DIR/input.npy, and its eval-mode logits in OUT_DIR/logits.json.
"""
import copy
import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from mmaction.models.backbones.resnet3d_slowfast import ResNet3dSlowFast
from mmaction.models.heads.slowfast_head import SlowFastHead


class Recognizer(nn.Module):
    """mmaction2's Recognizer3D state_dict names: backbone.*, cls_head.*."""

    def __init__(self, backbone, cls_head):
        super().__init__()
        self.backbone = backbone
        self.cls_head = cls_head

    def forward(self, x):
        return self.cls_head(self.backbone(x))


def build(model_cfg):
    def without_type(d):
        d = copy.deepcopy(d)
        d.pop("type")
        return d
    return Recognizer(ResNet3dSlowFast(**without_type(model_cfg["backbone"])), SlowFastHead(**without_type(model_cfg["cls_head"])))


def roundtrip(config, checkpoint, input_npy):
    namespace = {}
    exec(compile(Path(config).read_text(), config, "exec"), namespace)  # a plain-dict config file
    model = build(namespace["model"]).eval()
    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=True)
    state = ckpt["state_dict"] if "state_dict" in ckpt else ckpt
    model.load_state_dict(state, strict=True)  # raises on any missing, unexpected or mis-shaped key
    with torch.no_grad():
        logits = model(torch.from_numpy(np.load(input_npy)))
    print(json.dumps(dict(keys=len(state), logits=logits.tolist())))


def r50(manifest, preset, out_dir, size, legacy):
    entry = json.loads(Path(manifest).read_text())["presets"][preset]
    kw = entry["mmaction2Kwargs"]
    torch.manual_seed(7)
    model = Recognizer(ResNet3dSlowFast(**copy.deepcopy(kw["backbone"])), SlowFastHead(**kw["head"])).eval()
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Conv3d):
                fan_out = m.weight.shape[0] * m.weight[0, 0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * (2.0 / fan_out) ** 0.5)
            elif isinstance(m, nn.BatchNorm3d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.2)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
            elif isinstance(m, nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * m.weight.shape[1] ** -0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = dict(note="random R50 weights for the kit's tests", preset=preset,
                cfg=f"model = dict(backbone=dict(resample_rate={kw['backbone']['resample_rate']}, speed_ratio={kw['backbone']['speed_ratio']}))")
    torch.save(dict(meta=meta, state_dict=model.state_dict()), out / "r50.pth", _use_new_zipfile_serialization=not legacy)
    frames = entry["config"]["frames"]
    clip = torch.randn((1, 3, frames, size, size), generator=gen)
    np.save(out / "input.npy", clip.numpy())
    with torch.no_grad():
        logits = model(clip)
    (out / "logits.json").write_text(json.dumps(logits.tolist()))
    print(json.dumps(dict(params=sum(p.numel() for p in model.parameters()), bytes=(out / "r50.pth").stat().st_size)))


if __name__ == "__main__":
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    cmd, *args = sys.argv[1:]
    if cmd == "roundtrip":
        roundtrip(*args)
    elif cmd == "r50":
        r50(args[0], args[1], args[2], int(args[3]), "--legacy" in args[4:])
    else:
        raise SystemExit(f"torch_check.py: unknown command {cmd}")
