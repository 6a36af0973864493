"""Parity fixtures from mmaction2's REAL SlowFast code, for test/parity.test.ts.

Fixtures are made once, by `npm run fixtures`, and committed under test/fixtures/mmaction2/; the
tests read only those files and never ../shared (nor Python or PyTorch). Re-run the command when a
preset the fixtures cover changes: the test compares each fixture's recorded config with the
kit's current preset and names the fields that differ.

    node --import tsx scripts/reference/dump_config.ts slowfast_tiny slowfast_test slowfast_r50_4x16x1 slowfast_r50_8x8x1 \
      | PYTHONPATH=../shared/reference/mmaction2 .venv/bin/python scripts/reference/make_fixtures.py

stdin: { presetName: SlowFastConfig } as dump_config.ts prints it. For each preset this builds
mmaction2's ResNet3dSlowFast + SlowFastHead (../shared/reference/mmaction2, the files listed in its
REAL_FILES.sha256), randomises every weight AND every batch-norm statistic (seeded), runs a batch-2
clip and writes test/fixtures/mmaction2/<preset>/{index.json, tensors.bin}:
  - weights:  the state_dict before any forward, mmaction2's names and layouts (conv [out,in,t,h,w],
              fc [K, C]), num_batches_tracked included (the kit's loader must drop it);
  - input:    the clip, NDHWC [N, T, H, W, 3] (PyTorch's NCTHW permuted);
  - stages:   eval-mode outputs of every stage the kit's forward({intermediates: true}) returns,
              NDHWC, captured by hooks on the real modules (not by re-implementing the forward);
  - logits:   eval mode, [N, K];
  - train:    train mode (BN on batch statistics), dropout off, mmaction2's CrossEntropyLoss on
              fixed labels: the loss, the gradient of every parameter (mmaction2 names and layouts)
              and the BN running statistics after that one training forward.
The reference runs in float64 and is stored as float32, so the only float32 rounding the test sees
is the kit's own. tensors.bin is raw float32 little-endian; index.json gives each tensor's byte
offset and shape. Identical tensors are stored once (e.g. the fast pathway after a fusion is the
fast pathway before it). Each preset's tensors.bin stays under BUDGET_BYTES: if the stages do not
all fit, the largest are left out and listed in index.json under "omittedStages".

Real checkpoint files too (issue 10, for test/weights-*.test.ts, which read them with the kit's own
zip + pickle reader and never need Python):
  - <preset>/weights.pth: the same weights as `torch.save({'meta': ..., 'state_dict': ...})`, as
    mmaction2 publishes its checkpoints: float32, num_batches_tracked (int64) included, the
    state_dict's `_metadata` attribute kept (so the pickle has the BUILD opcode real ones have);
  - r50_manifest.json: for each R50 preset (too big to commit as weights), every state_dict key of
    mmaction2's real model with its shape and dtype, in state_dict order. Presets whose name starts
    with "slowfast_r50" get only this manifest (no forward pass, no tensors).
"""
import collections
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from mmaction.models.backbones.resnet3d_slowfast import ResNet3dSlowFast
from mmaction.models.heads.slowfast_head import SlowFastHead

ROOT = Path(__file__).resolve().parents[2]
MMACTION2 = ROOT.parent / "shared" / "reference" / "mmaction2"
OUT = ROOT / "test" / "fixtures" / "mmaction2"
SEED = 20240611
# The float32 noise floor's runs (see make()): one on the input as is, the others on the input
# perturbed by about this many float32 ulps.
FLOOR_RUNS = 6
# The input's least ReLU margin (relu_margin), about 10x the float32 differences between the kit's
# two batch-norm implementations; draws of the input until one has it.
RELU_MARGIN = 1e-6
MAX_INPUT_DRAWS = 50
FLOOR_INPUT_ULPS = 4
BATCH = 2
BUDGET_BYTES = 6_000_000
# The kit's stage names (src/model/slowfast.ts STAGE_NAMES and the fusions between them).
STAGES = ["sampling", "conv1", "maxpool", "fuse_conv1", "res2", "fuse_res2", "res3", "fuse_res3",
          "res4", "fuse_res4", "res5"]
# mmaction2 picks the block class by depth (resnet3d.py arch_settings: 18/34 -> BasicBlock3d,
# 50/101/152 -> Bottleneck3d); stage_blocks then overrides the per-stage block counts. The lateral
# input widths (_calculate_lateral_inplanes) also read the depth: expansion 1 below 50, 4 from 50.
DEPTH = {"basic": 18, "bottleneck": 50}


def fail(msg):
    raise SystemExit(f"make_fixtures.py: {msg}")


def mmaction2_kwargs(cfg):
    """The kit config -> ResNet3dSlowFast and SlowFastHead keyword arguments."""
    name = cfg["name"]
    unsupported = {"lateral.kind": (cfg["lateral"]["kind"], "time_strided_conv"),
                   "sampling": (cfg["sampling"], "nearest"), "pathways": (cfg["pathways"], "slowfast")}
    for key, (got, want) in unsupported.items():
        if got != want:
            fail(f'preset {name}: {key} is "{got}"; mmaction2 has only "{want}"')
    if cfg["width"] % cfg["betaInv"]:
        fail(f"preset {name}: betaInv {cfg['betaInv']} must divide width {cfg['width']}")
    norm_cfg = dict(type="BN3d", requires_grad=True, eps=cfg["bnEps"], momentum=cfg["bnMomentum"])

    def pathway(which, base_channels, lateral):
        p = cfg[which]
        return dict(type="resnet3d", depth=DEPTH[cfg["block"]], stage_blocks=tuple(cfg["stageBlocks"]),
                    pretrained=None, lateral=lateral, base_channels=base_channels,
                    conv1_kernel=tuple(p["conv1Kernel"]), conv1_stride_t=1, pool1_stride_t=1,
                    inflate=tuple(p["inflate"]), spatial_strides=tuple(cfg["spatialStrides"]),
                    zero_init_residual=cfg["zeroInitResidual"], norm_cfg=norm_cfg)

    slow = pathway("slow", cfg["width"], True)
    slow["fusion_kernel"] = cfg["lateral"]["kernelT"]
    fast = pathway("fast", cfg["width"] // cfg["betaInv"], False)
    backbone = dict(pretrained=None, resample_rate=cfg["tau"], speed_ratio=cfg["alpha"],
                    channel_ratio=cfg["betaInv"], slow_pathway=slow, fast_pathway=fast)
    # Final widths: slow planes 8 * width * expansion, fast the same / betaInv (fast first in the concat).
    expansion = 1 if cfg["block"] == "basic" else 4
    in_channels = 8 * expansion * (cfg["width"] + cfg["width"] // cfg["betaInv"])
    head = dict(num_classes=cfg["numClasses"], in_channels=in_channels, dropout_ratio=cfg["dropout"],
                init_std=cfg["initStd"])
    return backbone, head


class Recognizer(nn.Module):
    """Only for the state_dict names of mmaction2's Recognizer3D: backbone.*, cls_head.*."""

    def __init__(self, backbone, cls_head):
        super().__init__()
        self.backbone = backbone
        self.cls_head = cls_head


def randomise(model, gen):
    """Random weights everywhere, BN statistics included: with PyTorch's init every gamma is 1 (0
    for zero_init_residual), beta 0, mean 0, var 1, and a mix-up of those would go unnoticed."""
    def uniform(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=gen, dtype=t.dtype) * (hi - lo) + lo)

    def normal(t, std):
        t.copy_(torch.randn(t.shape, generator=gen, dtype=t.dtype) * std)

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv3d):
                fan_out = module.weight.shape[0] * module.weight[0, 0].numel()
                normal(module.weight, (2.0 / fan_out) ** 0.5)  # kaiming fan_out, as init_weights
            elif isinstance(module, nn.BatchNorm3d):
                uniform(module.weight, 0.5, 1.5)
                normal(module.bias, 0.2)
                normal(module.running_mean, 0.2)
                uniform(module.running_var, 0.5, 1.5)
            elif isinstance(module, nn.Linear):
                # 1/sqrt(C), not init_std 0.01: logits of order 1 make the loss and its gradient informative.
                normal(module.weight, module.weight.shape[1] ** -0.5)
                normal(module.bias, 0.1)


def ncthw_to_ndhwc(t):
    return t.permute(0, 2, 3, 4, 1)


class Blob:
    """tensors.bin: float32 little-endian, each tensor once; returns ids for index.json."""

    def __init__(self):
        self.chunks, self.entries, self.by_hash, self.nbytes = [], {}, {}, 0

    @staticmethod
    def _encode(t):
        data = np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4")
        return data, hashlib.sha1(data.tobytes()).hexdigest() + str(data.shape)

    def cost(self, t):
        """Bytes that adding t would take (0 when an identical tensor is already stored)."""
        data, digest = self._encode(t)
        return 0 if digest in self.by_hash else data.nbytes

    def add(self, tid, t):
        data, digest = self._encode(t)
        if digest in self.by_hash:
            return self.by_hash[digest]
        self.entries[tid] = dict(offset=self.nbytes, shape=list(data.shape))
        self.chunks.append(data.tobytes())
        self.nbytes += data.nbytes
        self.by_hash[digest] = tid
        return tid


def capture_stages(backbone, run):
    """Runs `run()` with hooks on the real modules and returns {stage: (slow NCTHW, fast NCTHW)}.
    sampling = the inputs of conv1; conv1/maxpool/res{k} = module outputs; fuse_* = the input of
    the next slow stage (after torch.cat), with the fast pathway unchanged by the fusion."""
    seen, handles = {}, []

    def keep(key):
        # clone: mmaction2's ReLUs are in place.
        return lambda _m, _inp, out: seen.__setitem__(key, out.detach().clone())

    def keep_input(key):
        return lambda _m, inp: seen.__setitem__(key, inp[0].detach().clone())

    for side in ("slow", "fast"):
        path = getattr(backbone, f"{side}_path")
        handles.append(path.conv1.register_forward_pre_hook(keep_input(("sampling", side))))
        handles.append(path.conv1.register_forward_hook(keep(("conv1", side))))
        handles.append(path.maxpool.register_forward_hook(keep(("maxpool", side))))
        for k in range(1, 5):
            handles.append(getattr(path, f"layer{k}").register_forward_hook(keep((f"res{k + 1}", side))))
    for k, after in enumerate(["conv1", "res2", "res3", "res4"], start=1):
        handles.append(getattr(backbone.slow_path, f"layer{k}").register_forward_pre_hook(keep_input((f"fuse_{after}", "slow"))))
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    previous = {"fuse_conv1": "maxpool", "fuse_res2": "res2", "fuse_res3": "res3", "fuse_res4": "res4"}
    return {s: (seen[(s, "slow")], seen[(previous.get(s, s), "fast")]) for s in STAGES}


MANIFEST_ONLY = "slowfast_r50"


def save_checkpoint(path, template, weights, meta):
    """torch.save({'meta', 'state_dict'}) as mmengine writes a checkpoint: an OrderedDict with the
    module tree's `_metadata`, floats as float32, num_batches_tracked as int64."""
    state_dict = collections.OrderedDict(
        (k, v.detach().float().contiguous() if v.is_floating_point() else v.detach().clone()) for k, v in weights.items())
    state_dict._metadata = template._metadata
    torch.save(dict(meta=meta, state_dict=state_dict), path)


def r50_manifest(cfg):
    """Keys, shapes and dtypes of mmaction2's real model for an R50 preset (no weights, no forward)."""
    backbone_kw, head_kw = mmaction2_kwargs(cfg)
    model = Recognizer(ResNet3dSlowFast(**copy.deepcopy(backbone_kw)), SlowFastHead(**head_kw))
    state = model.state_dict()
    return dict(config=cfg, mmaction2Kwargs=dict(backbone=backbone_kw, head=head_kw),
                paramCount=sum(p.numel() for p in model.parameters()),
                stateDict=[[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in state.items()])


def relu_margin(model, clip):
    """The smallest |x| / max |x| over the inputs of every ReLU in a train-mode forward of clip.

    Among ~1e6 ReLU inputs, a few lie within float32 rounding of zero; there the float64
    reference's mask is a coin toss for any float32 implementation (the kit's fused batch norm
    and its tensor-op one disagree on such an element), and a gradient that is a sum of
    cancelling terms (a BN beta) moves by up to ~1e-2 relative. The fixture's input avoids them.
    """
    probe = copy.deepcopy(model).train()
    margins = []

    def record(module, inputs):
        x = inputs[0].detach().abs()
        margins.append((x.min() / x.max().clamp_min(1e-30)).item())

    for module in probe.modules():
        if isinstance(module, nn.ReLU):
            module.register_forward_pre_hook(record)
    with torch.no_grad():
        probe.cls_head(probe.backbone(clip))
    return min(margins)


def make(name, cfg, commit):
    backbone_kw, head_kw = mmaction2_kwargs(cfg)
    torch.manual_seed(SEED)
    backbone = ResNet3dSlowFast(**copy.deepcopy(backbone_kw))  # a copy: the ctor mutates slow_pathway
    head = SlowFastHead(**head_kw)
    backbone.init_weights()
    head.init_weights()
    model = Recognizer(backbone, head).double()
    gen = torch.Generator().manual_seed(SEED)
    randomise(model, gen)
    param_count = sum(p.numel() for p in model.parameters())
    weights = {k: v.clone() for k, v in model.state_dict().items()}

    # Input: N C T H W (mmaction2's layout), normalised-looking values; drawn again while some ReLU
    # input of the train-mode forward lies within rounding of zero (see relu_margin).
    for attempt in range(1, MAX_INPUT_DRAWS + 1):
        clip = torch.randn((BATCH, 3, cfg["frames"], cfg["size"], cfg["size"]), generator=gen, dtype=torch.float64)
        margin = relu_margin(model, clip)
        if margin >= RELU_MARGIN:
            break
    else:
        fail(f"preset {name}: no input in {MAX_INPUT_DRAWS} draws keeps every ReLU input {RELU_MARGIN:g} away from zero")
    labels = torch.tensor([(3 * i + 1) % cfg["numClasses"] for i in range(BATCH)])

    # Eval mode: running statistics, no dropout.
    model.eval()
    out = {}
    with torch.no_grad():
        stages = capture_stages(backbone, lambda: out.__setitem__("logits", head(backbone(clip))))
    logits = out["logits"]

    # Train mode: BN on batch statistics (and updating the running ones); dropout off, as
    # SlowFastHead(dropout_ratio=0) builds it, so the kit can match without sharing a random mask.
    model.train()
    head.dropout = None
    twin32 = copy.deepcopy(model).float()  # before the step updates the running statistics
    model_before = copy.deepcopy(twin32.state_dict())  # each float32 run starts from these statistics
    model.zero_grad()
    train_logits = head(backbone(clip))
    loss = head.loss_cls(train_logits, labels)
    loss.backward()
    grads = {k: p.grad for k, p in model.named_parameters()}
    missing = [k for k, g in grads.items() if g is None]
    if missing:
        fail(f"preset {name}: no gradient for {missing}")
    # The float32 noise floor: PyTorch's own float32 gradients against the float64 reference, the
    # worst of FLOOR_RUNS runs whose inputs differ by float32 rounding (a few ulps). Two sources:
    # train-mode batch norm over few values (deep stages of a small input) amplifies rounding; and
    # among ~1e6 ReLU inputs some lie within rounding of zero, where any other float32 order of
    # operations flips the mask and moves a gradient that is a sum of cancelling terms (a BN beta)
    # by up to ~1e-2 relative. One float32 run lands on one side by chance; several show the spread.
    # The test allows a small multiple of this floor.
    twin32.train()
    noise_gen = torch.Generator().manual_seed(SEED + 1)
    grads32_rel_err = {}
    for run in range(FLOOR_RUNS):
        x32 = clip.float()
        if run > 0:
            x32 = x32 * (1 + FLOOR_INPUT_ULPS * 2.0 ** -23 * torch.randn(x32.shape, generator=noise_gen))
        twin32.load_state_dict(model_before)
        twin32.zero_grad()
        twin32.cls_head.loss_cls(twin32.cls_head(twin32.backbone(x32)), labels).backward()
        for k, p in twin32.named_parameters():
            err = ((p.grad.double() - grads[k]).abs().max() / grads[k].abs().max().clamp_min(1e-30)).item()
            grads32_rel_err[k] = max(err, grads32_rel_err.get(k, 0.0))
    after = {k: v for k, v in model.state_dict().items() if k.endswith(("running_mean", "running_var"))}

    blob = Blob()
    index = dict(
        preset=name,
        note="Made by `npm run fixtures` (scripts/reference/make_fixtures.py); commit it, do not edit.",
        mmaction2Commit=commit,
        torch=torch.__version__,
        seed=SEED,
        config=cfg,
        mmaction2Kwargs=dict(backbone=backbone_kw, head=head_kw),
        paramCount=dict(mmaction2=param_count),
        batch=BATCH,
        inputDraws=dict(draws=attempt, reluMargin=margin, required=RELU_MARGIN),
        labels=labels.tolist(),
        layouts=dict(input="NDHWC", stages="NDHWC", logits="NK",
                     weights="mmaction2 state_dict: conv [out,in,t,h,w], fc [K,C]"),
    )
    index["input"] = blob.add("input", ncthw_to_ndhwc(clip))
    index["weights"] = {k: blob.add(f"weight/{k}", v.double()) for k, v in weights.items()}
    index["logits"] = blob.add("logits", logits)
    index["train"] = dict(
        loss=loss.item(),
        logits=blob.add("train/logits", train_logits),
        grads={k: blob.add(f"grad/{k}", g) for k, g in grads.items()},
        runningStatsAfter={k: blob.add(f"after/{k}", v) for k, v in after.items()},
        torchFloat32GradRelErr=grads32_rel_err,
    )
    # Stages, smallest first, while they fit: deep stages check everything before them, the big
    # early ones only help to locate a difference.
    def stage_cost(s):
        return sum(blob.cost(ncthw_to_ndhwc(t)) for t in stages[s])

    index["stages"], index["omittedStages"] = {}, []
    for s in sorted(STAGES, key=lambda s: (stage_cost(s), STAGES.index(s))):
        if blob.nbytes + stage_cost(s) > BUDGET_BYTES:
            index["omittedStages"].append(s)
            continue
        slow, fast = (ncthw_to_ndhwc(t) for t in stages[s])
        index["stages"][s] = dict(slow=blob.add(f"stage/{s}/slow", slow), fast=blob.add(f"stage/{s}/fast", fast))
    index["stages"] = {s: index["stages"][s] for s in STAGES if s in index["stages"]}
    index["omittedStages"] = [s for s in STAGES if s in index["omittedStages"]]
    index["tensors"] = blob.entries

    out_dir = OUT / name
    out_dir.mkdir(parents=True, exist_ok=True)
    save_checkpoint(out_dir / "weights.pth", model.state_dict(), weights, dict(
        note="parity fixture weights (random, seeded), made by `npm run fixtures`",
        preset=name, mmaction2_commit=commit, torch=str(torch.__version__), seed=SEED))
    (out_dir / "tensors.bin").write_bytes(b"".join(blob.chunks))
    (out_dir / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    omitted = f", omitted stages: {', '.join(index['omittedStages'])}" if index["omittedStages"] else ""
    print(f"{name}: {param_count:,} parameters, {blob.nbytes / 1e6:.2f} MB, loss {loss.item():.6f}{omitted} -> {out_dir.relative_to(ROOT)}")


def main():
    commit_file = MMACTION2 / "MMACTION2_COMMIT"
    if not commit_file.exists():
        fail(f"{commit_file} not found: run from the project root with ../shared/reference/mmaction2 present")
    commit = commit_file.read_text().strip()
    text = sys.stdin.read()
    configs = json.loads(text) if text.strip() else {}
    if not configs:
        fail("stdin held no presets; pipe in `node --import tsx scripts/reference/dump_config.ts PRESET...`")
    torch.use_deterministic_algorithms(True)
    manifest = {}
    for name, cfg in configs.items():
        if name.startswith(MANIFEST_ONLY):
            manifest[name] = r50_manifest(cfg)
        else:
            make(name, cfg, commit)
    if manifest:
        out = OUT / "r50_manifest.json"
        text = json.dumps(dict(
            note="Made by `npm run fixtures` (scripts/reference/make_fixtures.py): mmaction2's real "
                 "state_dict keys, shapes and dtypes; commit it, do not edit.",
            mmaction2Commit=commit, torch=torch.__version__, presets=manifest), indent=1)
        # One line per innermost list (a key's [name, shape, dtype]): a third of the size, still diffable.
        text = re.sub(r"\[[^\[\]{}]*\]", lambda m: re.sub(r"\s+", "", m.group(0)).replace(",", ", "), text)
        text = re.sub(r"\[\s*(\"[^\"]*\"),\s*(\[[^\]]*\]),\s*(\"[^\"]*\")\s*\]", r"[\1, \2, \3]", text)
        out.write_text(text + "\n")
        print(f"{', '.join(manifest)}: key/shape manifest -> {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
