// An mmaction2 (1.x, mmengine) config file for a kit model and a data set in UCF101's layout: the
// model as mmaction2's Recognizer3D (ResNet3dSlowFast + SlowFastHead), the data pipelines the kit
// uses (SampleFrames, Resize, RandomResizedCrop, Flip, CenterCrop / ThreeCrop), mmaction2's SGD
// recipe, and `load_from` pointing at the exported checkpoint. Self-contained (no _base_), so it runs
// from any folder of an mmaction2 checkout: `bash tools/dist_train.sh CONFIG GPUS`.
//
// The model part follows the same rules as scripts/reference/make_fixtures.py mmaction2_kwargs()
// (the parity fixtures prove them against mmaction2's real code): depth 50 for bottleneck blocks,
// 18 for basic ones, stage_blocks overriding the depth's counts, base_channels = width and
// width / betaInv, fusion_kernel = lateral.kernelT. test/weights-roundtrip.test.ts builds
// mmaction2's real model from the `model` dict this writes and loads the exported weights strictly.
import { EXPANSION, type SlowFastConfig } from "../model";
import { mmaction2Incompatibility } from "./mmaction2";

/** A Python tuple when formatted by py(); a JS array becomes a list. */
export class Tup {
  readonly items: unknown[];
  constructor(...items: unknown[]) {
    this.items = items;
  }
}

/** Raw Python source (e.g. `**file_client_args`), emitted as is. */
class Raw {
  constructor(readonly code: string) {}
}

/** A JS value as Python source: objects as dict(k=v), arrays as lists, Tup as tuples. */
export function py(v: unknown, indent = ""): string {
  const inner = indent + "    ";
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (v instanceof Raw) return v.code;
  if (typeof v === "number") return String(v); // 1e-05 and 0.25 read the same in Python
  if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (v instanceof Tup) return v.items.length === 1 ? `(${py(v.items[0], indent)},)` : `(${v.items.map((x) => py(x, indent)).join(", ")})`;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== "object" || x === null)) return `[${v.map((x) => py(x, indent)).join(", ")}]`;
    return `[\n${v.map((x) => inner + py(x, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  const one = `dict(${entries.map(([k, x]) => (x instanceof Raw && x.code.startsWith("**") ? x.code : `${k}=${py(x, indent)}`)).join(", ")})`;
  if (one.length + indent.length <= 96 && !one.includes("\n")) return one;
  return `dict(\n${entries.map(([k, x]) => inner + (x instanceof Raw && x.code.startsWith("**") ? x.code : `${k}=${py(x, inner)}`)).join(",\n")})`;
}

/** mmaction2's `model` dict (Recognizer3D) for a kit config. Throws for configs mmaction2 cannot express. */
export function mmaction2ModelDict(cfg: SlowFastConfig): Record<string, unknown> {
  const problem = mmaction2Incompatibility(cfg);
  if (problem) throw new Error(`no mmaction2 config for preset ${cfg.name}: ${problem}`);
  const depth = cfg.block === "bottleneck" ? 50 : 18;
  const norm = { type: "BN3d", requires_grad: true, eps: cfg.bnEps, momentum: cfg.bnMomentum };
  const pathway = (which: "slow" | "fast", baseChannels: number, lateral: boolean) => ({
    type: "resnet3d",
    depth,
    stage_blocks: new Tup(...cfg.stageBlocks),
    pretrained: null,
    lateral,
    ...(lateral && { fusion_kernel: cfg.lateral.kernelT }),
    base_channels: baseChannels,
    conv1_kernel: new Tup(...cfg[which].conv1Kernel),
    dilations: new Tup(1, 1, 1, 1),
    conv1_stride_t: 1,
    pool1_stride_t: 1,
    inflate: new Tup(...cfg[which].inflate),
    spatial_strides: new Tup(...cfg.spatialStrides),
    zero_init_residual: cfg.zeroInitResidual,
    norm_cfg: norm,
    norm_eval: false,
  });
  const fastWidth = cfg.width / cfg.betaInv;
  return {
    type: "Recognizer3D",
    backbone: {
      type: "ResNet3dSlowFast",
      pretrained: null,
      resample_rate: cfg.tau,
      speed_ratio: cfg.alpha,
      channel_ratio: cfg.betaInv,
      slow_pathway: pathway("slow", cfg.width, true),
      fast_pathway: pathway("fast", fastWidth, false),
    },
    cls_head: {
      type: "SlowFastHead",
      // fast first, then slow: 8 * expansion * (width / betaInv + width), e.g. 256 + 2048 = 2304
      in_channels: 8 * EXPANSION[cfg.block] * (fastWidth + cfg.width),
      num_classes: cfg.numClasses,
      spatial_type: "avg",
      dropout_ratio: cfg.dropout,
      init_std: cfg.initStd,
      average_clips: "prob",
    },
    data_preprocessor: { type: "ActionDataPreprocessor", mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375], format_shape: "NCTHW" },
  };
}

export interface Mmaction2DataSpec {
  /** Folder of the videos (the paths in the annotation files are relative to it). */
  videoRoot: string;
  annTrain: string;
  annVal: string;
  annTest: string;
  /** Whether a horizontal flip keeps the label (false for the kit's synth-motion). */
  flip: boolean;
  areaRange: readonly [number, number];
  /** One line for the config's header, e.g. "UCF101 split 1 (data/ucf101)". */
  description: string;
}

export interface Mmaction2ConfigOptions {
  config: SlowFastConfig;
  data: Mmaction2DataSpec;
  /** The exported checkpoint (load_from). */
  loadFrom: string;
  frameInterval: number;
  testClips: number;
  /** Short side before cropping (the kit's defaultShortSide(size): 256 for 224). */
  shortSide: number;
  epochs: number;
  batchPerGpu: number;
  gpus: number;
  /** Learning rate at batchPerGpu x gpus clips per step. */
  lr: number;
  /** Header comment lines (where the weights came from, the command that wrote this file). */
  header: string[];
}

/** The whole config file as Python source. */
export function mmaction2ConfigText(o: Mmaction2ConfigOptions): string {
  const cfg = o.config;
  const fileClient = new Raw("**file_client_args");
  const sample = (numClips: number, test: boolean) => ({ type: "SampleFrames", clip_len: cfg.frames, frame_interval: o.frameInterval, num_clips: numClips, ...(test && { test_mode: true }) });
  const train = [
    { type: "DecordInit", _: fileClient },
    sample(1, false),
    { type: "DecordDecode" },
    { type: "Resize", scale: new Tup(-1, o.shortSide) },
    { type: "RandomResizedCrop", area_range: new Tup(...o.data.areaRange) },
    { type: "Resize", scale: new Tup(cfg.size, cfg.size), keep_ratio: false },
    ...(o.data.flip ? [{ type: "Flip", flip_ratio: 0.5 }] : []),
    { type: "FormatShape", input_format: "NCTHW" },
    { type: "PackActionInputs" },
  ];
  const val = [
    { type: "DecordInit", _: fileClient },
    sample(1, true),
    { type: "DecordDecode" },
    { type: "Resize", scale: new Tup(-1, o.shortSide) },
    { type: "CenterCrop", crop_size: cfg.size },
    { type: "FormatShape", input_format: "NCTHW" },
    { type: "PackActionInputs" },
  ];
  const test = [
    { type: "DecordInit", _: fileClient },
    sample(o.testClips, true),
    { type: "DecordDecode" },
    { type: "Resize", scale: new Tup(-1, o.shortSide) },
    { type: "ThreeCrop", crop_size: o.shortSide },
    { type: "FormatShape", input_format: "NCTHW" },
    { type: "PackActionInputs" },
  ];
  const loader = (batch: number, shuffle: boolean, ann: string, pipeline: string, testMode: boolean) => ({
    batch_size: batch,
    num_workers: 8,
    persistent_workers: true,
    sampler: { type: "DefaultSampler", shuffle },
    dataset: { type: new Raw("dataset_type"), ann_file: new Raw(ann), data_prefix: { video: new Raw("data_root") }, pipeline: new Raw(pipeline), ...(testMode && { test_mode: true }) },
  });
  const warmup = Math.min(Math.max(1, Math.round(o.epochs / 10)), o.epochs);
  const lines = [
    ...o.header.map((l) => `# ${l}`),
    "",
    "default_scope = 'mmaction'",
    `model = ${py(mmaction2ModelDict(cfg))}`,
    "",
    `# Data: ${o.data.description}. Annotation files: "<video path relative to data_root> <0-based label>" per line.`,
    "dataset_type = 'VideoDataset'",
    `data_root = ${py(o.data.videoRoot)}`,
    `ann_file_train = ${py(o.data.annTrain)}`,
    `ann_file_val = ${py(o.data.annVal)}`,
    `ann_file_test = ${py(o.data.annTest)}`,
    "file_client_args = dict(io_backend='disk')",
    `train_pipeline = ${py(train)}`,
    `val_pipeline = ${py(val)}`,
    `test_pipeline = ${py(test)}`,
    `train_dataloader = ${py(loader(o.batchPerGpu, true, "ann_file_train", "train_pipeline", false))}`,
    `val_dataloader = ${py(loader(o.batchPerGpu, false, "ann_file_val", "val_pipeline", true))}`,
    `test_dataloader = ${py(loader(1, false, "ann_file_test", "test_pipeline", true))}`,
    "val_evaluator = dict(type='AccMetric')",
    "test_evaluator = val_evaluator",
    "",
    `# Schedule: mmaction2's SGD recipe (momentum 0.9, weight decay 1e-4, gradients clipped at 40), linear warm-up, cosine.`,
    `train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=${o.epochs}, val_begin=1, val_interval=1)`,
    "val_cfg = dict(type='ValLoop')",
    "test_cfg = dict(type='TestLoop')",
    `optim_wrapper = dict(optimizer=dict(type='SGD', lr=${py(o.lr)}, momentum=0.9, weight_decay=0.0001), clip_grad=dict(max_norm=40, norm_type=2))`,
    "param_scheduler = [",
    `    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=${warmup}, convert_to_iter_based=True),`,
    `    dict(type='CosineAnnealingLR', T_max=${o.epochs}, eta_min=0, by_epoch=True, begin=0, end=${o.epochs})`,
    "]",
    `# lr ${o.lr} is for ${o.gpus} GPU(s) x ${o.batchPerGpu} clips; with --auto-scale-lr mmaction2 rescales it to other batch sizes.`,
    `auto_scale_lr = dict(enable=False, base_batch_size=${o.gpus * o.batchPerGpu})`,
    "",
    "# Runtime (mmaction2's configs/_base_/default_runtime.py, inlined so this file stands alone).",
    "default_hooks = dict(",
    "    runtime_info=dict(type='RuntimeInfoHook'),",
    "    timer=dict(type='IterTimerHook'),",
    "    logger=dict(type='LoggerHook', interval=20, ignore_last=False),",
    "    param_scheduler=dict(type='ParamSchedulerHook'),",
    "    checkpoint=dict(type='CheckpointHook', interval=1, save_best='auto', max_keep_ckpts=3),",
    "    sampler_seed=dict(type='DistSamplerSeedHook'),",
    "    sync_buffers=dict(type='SyncBuffersHook'))",
    "env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0), dist_cfg=dict(backend='nccl'))",
    "log_processor = dict(type='LogProcessor', window_size=20, by_epoch=True)",
    "vis_backends = [dict(type='LocalVisBackend')]",
    "visualizer = dict(type='ActionVisualizer', vis_backends=vis_backends)",
    "log_level = 'INFO'",
    `load_from = ${py(o.loadFrom)}  # the kit's weights, exported`,
    "resume = False",
    "",
  ];
  // The paper's symbols beside mmaction2's names, as mmaction2's own configs write them.
  return lines
    .join("\n")
    .replace(/^(\s*resample_rate=\d+,)$/m, "$1  # tau")
    .replace(/^(\s*speed_ratio=\d+,)$/m, "$1  # alpha")
    .replace(/^(\s*channel_ratio=\d+,)$/m, "$1  # 1 / beta");
}
