// One typed config for every SlowFast this kit builds, and the named presets.
//
// Symbols (the paper's names; mmaction2's in brackets):
//   tau   [resample_rate]  the slow pathway keeps one input frame in tau.
//   alpha [speed_ratio]    the fast pathway sees alpha times more frames than the slow one.
//   beta  [1/channel_ratio] the fast pathway has beta times the slow pathway's channels; we store
//                          betaInv = 1/beta (8 for the R50 presets), as mmaction2 stores channel_ratio.
// Layout is NDHWC everywhere: [batch, time, height, width, channels].

export type Triple = readonly [number, number, number];
export type BlockKind = "basic" | "bottleneck";
/**
 * How fast features are squeezed to the slow pathway's frame rate (paper section 3.4), or "none": no
 * lateral connections: two pathways side by side that meet only in the head (the baseline of the
 * paper's fusion ablation). The slow pathway then keeps its own channels at every stage.
 */
export type LateralKind = "time_strided_conv" | "time_to_channel" | "time_strided_sample" | "none";
/** mmaction2's nearest-neighbour resampling or PySlowFast's linspace. */
export type SamplingMode = "nearest" | "linspace";
/** The full two-pathway network, or one pathway alone (the ablation of the training run). */
export type PathwayMode = "slowfast" | "slow_only" | "fast_only";

export interface PathwayConfig {
  /** Temporal x spatial kernel of the stem convolution, e.g. (1,7,7) slow, (5,7,7) fast. */
  conv1Kernel: Triple;
  /** Per stage res2..res5: 1 = temporal kernel 3 in the block's first conv, 0 = none. */
  inflate: readonly (0 | 1)[];
}

export interface SlowFastConfig {
  name: string;
  /** Input clip length in frames (the fast pathway's rate x tau / alpha). */
  frames: number;
  /** Input height = width in pixels. */
  size: number;
  numClasses: number;
  tau: number;
  alpha: number;
  betaInv: number;
  /** Slow pathway stem channels (64 in ResNet-50); the fast pathway has width / betaInv. */
  width: number;
  block: BlockKind;
  /** Blocks in res2..res5: (3,4,6,3) for depth 50. */
  stageBlocks: readonly number[];
  /** Spatial stride of the first block of res2..res5. */
  spatialStrides: readonly number[];
  slow: PathwayConfig;
  fast: PathwayConfig;
  lateral: { kind: LateralKind; /** temporal kernel of the time-strided conv: 5 (4x16x1) or 7 (8x8x1) */ kernelT: number };
  sampling: SamplingMode;
  pathways: PathwayMode;
  dropout: number;
  /** Std of the classifier's normal init (mmaction2: 0.01). */
  initStd: number;
  bnEps: number;
  /** PyTorch convention: running = (1 - momentum) * running + momentum * batch. */
  bnMomentum: number;
  /** The last BN of every residual block starts at gamma = 0, so each block starts as identity. */
  zeroInitResidual: boolean;
}

const R50_COMMON = {
  frames: 32,
  size: 224,
  numClasses: 400,
  betaInv: 8,
  width: 64,
  block: "bottleneck",
  stageBlocks: [3, 4, 6, 3],
  spatialStrides: [1, 2, 2, 2],
  slow: { conv1Kernel: [1, 7, 7], inflate: [0, 0, 1, 1] },
  fast: { conv1Kernel: [5, 7, 7], inflate: [1, 1, 1, 1] },
  sampling: "nearest",
  pathways: "slowfast",
  dropout: 0.5,
  initStd: 0.01,
  bnEps: 1e-5,
  bnMomentum: 0.1,
  zeroInitResidual: true,
} as const satisfies Partial<SlowFastConfig>;

export const PRESETS = {
  /** mmaction2 configs/_base_/models/slowfast_r50.py: 4 slow frames, 32 fast, of a 32-frame clip. */
  slowfast_r50_4x16x1: { ...R50_COMMON, name: "slowfast_r50_4x16x1", tau: 8, alpha: 8, lateral: { kind: "time_strided_conv", kernelT: 5 } },
  /** mmaction2 slowfast_r50_8x8x1: 8 slow frames, 32 fast, fusion kernel 7. */
  slowfast_r50_8x8x1: { ...R50_COMMON, name: "slowfast_r50_8x8x1", tau: 4, alpha: 4, lateral: { kind: "time_strided_conv", kernelT: 7 } },
  /**
   * The CPU training preset: mmaction2's SlowFast with smaller numbers, so that `npm start` trains
   * it in under five minutes on two cores (README "Why slowfast_tiny is the training preset").
   * 16 frames -> slow 4 / fast 16 (tau 4, alpha 4); 48x48 pixels; basic blocks (mmaction2's
   * BasicBlock3d), 1 per stage; slow width 16, fast 8. beta is 1/2 here, not the paper's 1/8: the
   * fast pathway's stem must hold direction-selective filters for 8 directions, and at 4 channels
   * (width 8, 64x64, measured with the same recipe) it under-fit, 52% validation top-1 after 16 epochs.
   */
  slowfast_tiny: {
    ...R50_COMMON,
    name: "slowfast_tiny",
    frames: 16,
    size: 48,
    numClasses: 8,
    tau: 4,
    alpha: 4,
    betaInv: 2,
    width: 16,
    block: "basic",
    stageBlocks: [1, 1, 1, 1],
    lateral: { kind: "time_strided_conv", kernelT: 5 },
    dropout: 0.3,
  },
  /** For unit tests: small enough for the pure-JS backend; every code path of the R50 presets. */
  slowfast_test: {
    ...R50_COMMON,
    name: "slowfast_test",
    frames: 8,
    size: 32,
    numClasses: 5,
    tau: 4,
    alpha: 4,
    betaInv: 4,
    width: 8,
    block: "bottleneck",
    stageBlocks: [1, 1, 1, 1],
    lateral: { kind: "time_strided_conv", kernelT: 5 },
  },
} as const satisfies Record<string, SlowFastConfig>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** A deep-writable copy of a preset, with overrides applied and the result validated. */
export function presetConfig(name: string, overrides: Partial<SlowFastConfig> = {}): SlowFastConfig {
  if (!(name in PRESETS)) {
    throw new Error(`unknown preset "${name}"; valid presets: ${PRESET_NAMES.join(", ")}`);
  }
  const base = structuredClone(PRESETS[name as PresetName]) as unknown as SlowFastConfig;
  return validateConfig({ ...base, ...overrides });
}

/** Slow frames = frames / tau; fast frames = slow frames * alpha. */
export function pathwayFrames(cfg: SlowFastConfig): { slow: number; fast: number } {
  const slow = cfg.frames / cfg.tau;
  return { slow, fast: slow * cfg.alpha };
}

export function fastWidth(cfg: SlowFastConfig): number {
  return cfg.width / cfg.betaInv;
}

/** Throws on the first inconsistency, naming the field, its value and what is allowed. */
export function validateConfig(cfg: SlowFastConfig): SlowFastConfig {
  const fail = (msg: string): never => {
    throw new Error(`invalid SlowFast config "${cfg.name}": ${msg}`);
  };
  const positiveInt = (key: keyof SlowFastConfig) => {
    const v = cfg[key] as number;
    if (!Number.isInteger(v) || v <= 0) fail(`${key} must be a positive integer, got ${v}`);
  };
  (["frames", "size", "numClasses", "tau", "alpha", "betaInv", "width"] as const).forEach(positiveInt);
  if (cfg.frames % cfg.tau !== 0) {
    const ok = [1, 2, 3, 4].map((k) => k * cfg.tau).join(", ");
    fail(`frames (${cfg.frames}) must be a multiple of tau (${cfg.tau}) so the slow pathway gets whole frames; try frames = ${ok}, ...`);
  }
  if (cfg.tau % cfg.alpha !== 0) {
    fail(`alpha (${cfg.alpha}) must divide tau (${cfg.tau}): the fast pathway keeps one frame in tau/alpha; valid alpha: ${divisors(cfg.tau).join(", ")}`);
  }
  if (cfg.width % cfg.betaInv !== 0) {
    fail(`betaInv (${cfg.betaInv}) must divide width (${cfg.width}); valid betaInv: ${divisors(cfg.width).join(", ")}`);
  }
  const stages = cfg.stageBlocks.length;
  if (stages !== 4) fail(`stageBlocks must list 4 stages (res2..res5), got ${stages}`);
  for (const [key, list] of [["spatialStrides", cfg.spatialStrides], ["slow.inflate", cfg.slow.inflate], ["fast.inflate", cfg.fast.inflate]] as const) {
    if (list.length !== stages) fail(`${key} must have ${stages} entries (one per stage), got ${list.length}`);
  }
  if (!["basic", "bottleneck"].includes(cfg.block)) fail(`block must be "basic" or "bottleneck", got "${cfg.block}"`);
  const lateralKinds: LateralKind[] = ["time_strided_conv", "time_to_channel", "time_strided_sample", "none"];
  if (!lateralKinds.includes(cfg.lateral.kind)) fail(`lateral.kind must be one of ${lateralKinds.join(", ")}, got "${cfg.lateral.kind}"`);
  if (cfg.lateral.kernelT % 2 !== 1) fail(`lateral.kernelT must be odd (symmetric temporal padding), got ${cfg.lateral.kernelT}`);
  if (!["nearest", "linspace"].includes(cfg.sampling)) fail(`sampling must be "nearest" or "linspace", got "${cfg.sampling}"`);
  if (!["slowfast", "slow_only", "fast_only"].includes(cfg.pathways)) {
    fail(`pathways must be "slowfast", "slow_only" or "fast_only", got "${cfg.pathways}"`);
  }
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) fail(`dropout must be in [0, 1), got ${cfg.dropout}`);
  return cfg;
}

function divisors(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
}
