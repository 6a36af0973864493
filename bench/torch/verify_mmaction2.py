# One-off check that the twin (slowfast_twin.py) IS mmaction2's SlowFast: builds mmaction2's real
# ResNet3dSlowFast + SlowFastHead for the same config, copies the twin's weights into it (the
# state_dict keys are the same, strict load), and compares parameter counts and logits, in eval
# mode (running statistics) and in training mode (batch statistics, dropout off). Optional: the
# bench never needs mmaction2.
#
#   npm run bench -- --verify-mmaction2 ../shared/reference/mmaction2 [--presets a,b]
# which runs
#   python -B bench/torch/verify_mmaction2.py --verify-mmaction2 <path>  < [{"config": ..., "kitParams": N}, ...]
# (or pass --config file.json, repeatable, with a config as `presetConfig(name)` gives it).
import argparse
import json
import sys

import torch
from torch import nn

from slowfast_twin import SlowFastTwin, param_count


def mmaction2_model(cfg):
    """mmaction2's recognizer parts for a kit config (only what mmaction2 itself offers)."""
    from mmaction.models.backbones.resnet3d_slowfast import ResNet3dSlowFast
    from mmaction.models.heads.slowfast_head import SlowFastHead

    unsupported = [f"{k}={v}" for k, v, ok in [("lateral.kind", cfg["lateral"]["kind"], "time_strided_conv"),
                                             ("sampling", cfg["sampling"], "nearest"), ("pathways", cfg["pathways"], "slowfast")]
                   if v != ok]
    if unsupported:
        raise ValueError(f"mmaction2 has no equivalent of {', '.join(unsupported)}")
    depth = 50 if cfg["block"] == "bottleneck" else 18
    norm_cfg = dict(type="BN3d", requires_grad=True, eps=cfg["bnEps"], momentum=cfg["bnMomentum"])

    def pathway(name, width, lateral):
        p = dict(type="resnet3d", depth=depth, pretrained=None, lateral=lateral, base_channels=width,
                 conv1_kernel=tuple(cfg[name]["conv1Kernel"]), conv1_stride_t=1, pool1_stride_t=1,
                 inflate=tuple(cfg[name]["inflate"]), stage_blocks=tuple(cfg["stageBlocks"]),
                 spatial_strides=tuple(cfg["spatialStrides"]), norm_cfg=norm_cfg,
                 zero_init_residual=cfg["zeroInitResidual"])
        if lateral:
            p["fusion_kernel"] = cfg["lateral"]["kernelT"]
        return p

    backbone = ResNet3dSlowFast(pretrained=None, resample_rate=cfg["tau"], speed_ratio=cfg["alpha"], channel_ratio=cfg["betaInv"],
                                slow_pathway=pathway("slow", cfg["width"], True),
                                fast_pathway=pathway("fast", cfg["width"] // cfg["betaInv"], False))
    backbone.init_weights()
    in_channels = backbone.slow_path.feat_dim + backbone.fast_path.feat_dim
    head = SlowFastHead(num_classes=cfg["numClasses"], in_channels=in_channels, dropout_ratio=cfg["dropout"], init_std=cfg["initStd"])
    head.init_weights()
    model = nn.Module()
    model.backbone, model.cls_head = backbone, head
    model.forward = lambda x: head(backbone(x))
    return model


def randomize(model, gen):
    """Every parameter and BN statistic random, so a wrong wire cannot hide behind zero init."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=gen) * (0.5 if t.dim() <= 1 else 0.2))


def dropout_off(model):
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.eval()


def verify(cfg, kit_params, batch=2):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    twin = SlowFastTwin(cfg)
    randomize(twin, gen)
    ref = mmaction2_model(cfg)
    ref.load_state_dict(twin.state_dict(), strict=True)
    counts = {"twin": param_count(twin), "mmaction2": param_count(ref)}
    if kit_params is not None:
        counts["kit"] = kit_params
    x = torch.randn(twin.input_shape(batch), generator=gen)
    diffs = {}
    with torch.no_grad():
        for mode in ("eval", "train"):
            for m in (twin, ref):
                m.train(mode == "train")
                dropout_off(m)
            a, b = twin(x), ref(x)
            diffs[mode] = float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))
    ok = len(set(counts.values())) == 1 and all(d < 1e-5 for d in diffs.values())
    counts_s = ", ".join(f"{k} {v:,}" for k, v in counts.items())
    diffs_s = ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
    print(f"{'OK  ' if ok else 'FAIL'} {cfg['name']}: parameters {counts_s}; logits max rel diff {diffs_s}")
    return ok


def main():
    ap = argparse.ArgumentParser(description="check the PyTorch twin against mmaction2's real SlowFast")
    ap.add_argument("--verify-mmaction2", required=True, metavar="PATH", help="mmaction2 source root (holds mmaction/, mmcv/, mmengine/)")
    ap.add_argument("--config", action="append", default=[], help="a config JSON file (presetConfig output); default: a JSON list on stdin")
    args = ap.parse_args()
    sys.path.insert(0, args.verify_mmaction2)
    items = [{"config": json.load(open(p)), "kitParams": None} for p in args.config] or json.load(sys.stdin)
    results = [verify(it["config"], it.get("kitParams")) for it in items]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
