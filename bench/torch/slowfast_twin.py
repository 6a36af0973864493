# The PyTorch twin of the kit's SlowFast: the same network, built from the kit's resolved config
# (the JSON of `presetConfig(name)`), with mmaction2's ResNet3dSlowFast + SlowFastHead semantics.
# Self-contained (torch only), so a learner's clone can run it; verify_mmaction2.py checks it once
# against mmaction2's real code (same parameter count, same logits with copied weights).
#
# Layout NCTHW (PyTorch's), where the kit uses NDHWC. Module names follow mmaction2, so the
# state_dict keys are a recognizer's: backbone.slow_path.layer1.0.conv1.conv.weight,
# backbone.slow_path.conv1_lateral.conv.weight, backbone.fast_path..., cls_head.fc_cls.weight.
#
#   sampling   slow: one frame in tau, fast: one in tau/alpha ("nearest" = mmaction2's
#              F.interpolate; "linspace" = PySlowFast)
#   stem       conv (kt,7,7) stride (1,2,2) pad (k-1)//2 + BN + ReLU, maxpool (1,3,3)/(1,2,2) pad (0,1,1)
#   laterals   after conv1 and res2..res4: conv (kernelT,1,1) stride (alpha,1,1), C -> 2C, no bias,
#              concatenated to the slow pathway's channels
#   blocks     BasicBlock3d: inflate -> conv1 and conv2 both (3,3,3), else (1,3,3)
#              Bottleneck3d: conv1 (3,1,1) if inflate else 1x1x1, conv2 (1,3,3) strided, conv3 1x1x1 (x4)
#              downsample 1x1x1 conv + BN when the stride or channels change
#   head       global average pool per pathway, concat (FAST, SLOW), dropout, fc
import torch
import torch.nn.functional as F
from torch import nn

EXPANSION = {"basic": 1, "bottleneck": 4}
STAGES = 4


class ConvModule(nn.Module):
    """conv (no bias) -> BN -> ReLU, the last two optional: mmcv's ConvModule names (conv, bn)."""

    def __init__(self, cin, cout, kernel, stride=(1, 1, 1), padding=None, norm=None, relu=False, zero_init=False):
        super().__init__()
        padding = tuple((k - 1) // 2 for k in kernel) if padding is None else tuple(padding)
        self.conv = nn.Conv3d(cin, cout, tuple(kernel), tuple(stride), padding, bias=False)
        nn.init.kaiming_normal_(self.conv.weight, mode="fan_out", nonlinearity="relu")
        self.bn = nn.BatchNorm3d(cout, eps=norm["eps"], momentum=norm["momentum"]) if norm else None
        if self.bn is not None:
            nn.init.constant_(self.bn.weight, 0.0 if zero_init else 1.0)
            nn.init.zeros_(self.bn.bias)
        self.relu = relu

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return F.relu(x, inplace=True) if self.relu else x


class Block(nn.Module):
    """mmaction2's BasicBlock3d or Bottleneck3d ('pytorch' style: the stride on the 3x3 conv)."""

    def __init__(self, kind, cin, planes, stride, inflate, norm, zero_init):
        super().__init__()
        cout = planes * EXPANSION[kind]
        s = (1, stride, stride)
        if kind == "bottleneck":
            self.conv1 = ConvModule(cin, planes, (3, 1, 1) if inflate else (1, 1, 1), norm=norm, relu=True)
            self.conv2 = ConvModule(planes, planes, (1, 3, 3), s, norm=norm, relu=True)
            self.conv3 = ConvModule(planes, cout, (1, 1, 1), norm=norm, zero_init=zero_init)
            self.convs = ["conv1", "conv2", "conv3"]
        else:
            k = (3, 3, 3) if inflate else (1, 3, 3)
            self.conv1 = ConvModule(cin, planes, k, s, norm=norm, relu=True)
            self.conv2 = ConvModule(planes, cout, k, norm=norm, zero_init=zero_init)
            self.convs = ["conv1", "conv2"]
        needs_projection = stride != 1 or cin != cout
        self.downsample = ConvModule(cin, cout, (1, 1, 1), s, norm=norm) if needs_projection else None

    def forward(self, x):
        out = x
        for name in self.convs:
            out = getattr(self, name)(out)
        identity = self.downsample(x) if self.downsample is not None else x
        return F.relu(out + identity, inplace=True)


class Pathway(nn.Module):
    """One pathway: stem (conv1, maxpool) and layer1..layer4; `lateral_in` lists the lateral channels
    concatenated before each stage (the slow pathway's conv1_lateral, layer{i}_lateral live here, as
    in mmaction2)."""

    def __init__(self, cfg, pathway, width, lateral_in, norm):
        super().__init__()
        self.conv1 = ConvModule(3, width, cfg[pathway]["conv1Kernel"], (1, 2, 2), norm=norm, relu=True)
        self.maxpool = nn.MaxPool3d((1, 3, 3), (1, 2, 2), (0, 1, 1))
        cin = width
        for i in range(STAGES):
            planes = width * 2**i
            blocks = []
            for b in range(cfg["stageBlocks"][i]):
                stride = cfg["spatialStrides"][i] if b == 0 else 1
                blocks.append(Block(cfg["block"], cin + (lateral_in[i] if b == 0 else 0), planes, stride,
                                    cfg[pathway]["inflate"][i] == 1, norm, cfg["zeroInitResidual"]))
                cin = planes * EXPANSION[cfg["block"]]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.out_channels = cin


class Lateral(nn.Module):
    """Fast features [N, C, alpha*Ts, H, W] -> [N, C', Ts, H, W] (paper section 3.4)."""

    def __init__(self, kind, channels, alpha, kernel_t):
        super().__init__()
        self.kind, self.alpha = kind, alpha
        if kind == "time_strided_conv":
            self.conv = nn.Conv3d(channels, 2 * channels, (kernel_t, 1, 1), (alpha, 1, 1), ((kernel_t - 1) // 2, 0, 0), bias=False)
            nn.init.kaiming_normal_(self.conv.weight, mode="fan_out", nonlinearity="relu")
        self.out_channels = {"time_strided_conv": 2, "time_to_channel": alpha, "time_strided_sample": 1}[kind] * channels

    def forward(self, x):
        if self.kind == "time_strided_conv":
            return self.conv(x)
        n, c, t, h, w = x.shape
        ts = t // self.alpha
        groups = x[:, :, : ts * self.alpha].reshape(n, c, ts, self.alpha, h, w)
        if self.kind == "time_to_channel":  # channel index = frame-in-group * C + c, as the kit's NDHWC reshape
            return groups.permute(0, 3, 1, 2, 4, 5).reshape(n, self.alpha * c, ts, h, w)
        return groups[:, :, :, 0]


def frame_indices(cfg):
    """Which input frames each pathway sees (the kit's sampling.ts)."""
    frames, tau, alpha = cfg["frames"], cfg["tau"], cfg["alpha"]

    def nearest(n, stride):
        return [min(int(i * stride), n - 1) for i in range(int(n // stride))]

    def linspace(n, count):
        return [0] if count == 1 else [int(i * (n - 1) / (count - 1)) for i in range(count)]

    if cfg["sampling"] == "nearest":
        return nearest(frames, tau), nearest(frames, tau / alpha)
    fast = linspace(frames, frames * alpha // tau)
    return [fast[i] for i in linspace(len(fast), len(fast) // alpha)], fast


class Backbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        norm = {"eps": cfg["bnEps"], "momentum": cfg["bnMomentum"]}
        self.use_slow = cfg["pathways"] != "fast_only"
        self.use_fast = cfg["pathways"] != "slow_only"
        self.use_laterals = self.use_slow and self.use_fast
        slow_idx, fast_idx = frame_indices(cfg)
        self.register_buffer("slow_idx", torch.tensor(slow_idx), persistent=False)
        self.register_buffer("fast_idx", torch.tensor(fast_idx), persistent=False)
        fast_width = cfg["width"] // cfg["betaInv"]
        expansion = EXPANSION[cfg["block"]]
        laterals = []
        if self.use_laterals:
            # The fast pathway's channels at each fusion point: after conv1, then after res2..res4.
            fast_channels = [fast_width] + [fast_width * 2**i * expansion for i in range(STAGES - 1)]
            laterals = [Lateral(cfg["lateral"]["kind"], c, cfg["alpha"], cfg["lateral"]["kernelT"]) for c in fast_channels]
        self.lateral_names = ["conv1_lateral"] + [f"layer{i}_lateral" for i in range(1, STAGES)] if laterals else []
        if self.use_slow:
            lateral_in = [l.out_channels for l in laterals] if laterals else [0] * STAGES
            self.slow_path = Pathway(cfg, "slow", cfg["width"], lateral_in, norm)
            for name, lateral in zip(self.lateral_names, laterals):
                setattr(self.slow_path, name, lateral)
        if self.use_fast:
            self.fast_path = Pathway(cfg, "fast", fast_width, [0] * STAGES, norm)
        self.out_channels = (self.slow_path.out_channels if self.use_slow else 0) + (self.fast_path.out_channels if self.use_fast else 0)

    def forward(self, x):
        slow = self.slow_path.maxpool(self.slow_path.conv1(x.index_select(2, self.slow_idx))) if self.use_slow else None
        fast = self.fast_path.maxpool(self.fast_path.conv1(x.index_select(2, self.fast_idx))) if self.use_fast else None
        for i in range(STAGES + 1):
            if i > 0:
                if slow is not None:
                    slow = getattr(self.slow_path, f"layer{i}")(slow)
                if fast is not None:
                    fast = getattr(self.fast_path, f"layer{i}")(fast)
            if self.use_laterals and i < STAGES:
                slow = torch.cat((slow, getattr(self.slow_path, self.lateral_names[i])(fast)), dim=1)
        return slow, fast


class Head(nn.Module):
    def __init__(self, in_channels, num_classes, dropout, init_std):
        super().__init__()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.fc_cls = nn.Linear(in_channels, num_classes)
        nn.init.normal_(self.fc_cls.weight, 0.0, init_std)
        nn.init.zeros_(self.fc_cls.bias)

    def forward(self, slow, fast):
        pooled = [t.mean(dim=(2, 3, 4)) for t in (fast, slow) if t is not None]  # mmaction2: FAST, then SLOW
        x = pooled[0] if len(pooled) == 1 else torch.cat(pooled, dim=1)
        if self.dropout is not None:
            x = self.dropout(x)
        return self.fc_cls(x)


class SlowFastTwin(nn.Module):
    """clip [N, 3, frames, size, size] (NCTHW) -> logits [N, numClasses]."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.backbone = Backbone(cfg)
        self.cls_head = Head(self.backbone.out_channels, cfg["numClasses"], cfg["dropout"], cfg["initStd"])

    def input_shape(self, batch):
        return (batch, 3, self.cfg["frames"], self.cfg["size"], self.cfg["size"])

    def forward(self, x):
        return self.cls_head(*self.backbone(x))


def param_count(model):
    """Trainable parameters (BN gamma/beta included, running statistics not): the kit's paramCounts().total."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
