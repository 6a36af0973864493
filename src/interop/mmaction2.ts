// mmaction2 checkpoints <-> the kit's SlowFast, both ways.
//
//   in:  torch.save file --torch_file.ts--> {meta, state_dict} --stateDictOf--> mmaction2 keys ->
//        tensors (PyTorch layout) --inferConfig--> the preset whose shapes they have --buildModel-->
//        SlowFast (names and layouts by ../model/mmaction2_keys.ts, all-or-nothing)
//   out: SlowFast --mmaction2Tensors--> mmaction2 keys in mmaction2's state_dict order, PyTorch
//        layouts, num_batches_tracked added --encodeMmaction2Checkpoint--> a torch.save zip that
//        mmaction2's load_checkpoint (strict) and torch.load(weights_only=True) read.
//
// Which preset: the shapes give width, the fast pathway's width (so beta), block type, blocks per
// stage, stem kernels, inflation and the lateral kernel (5 in mmaction2's 4x16x1 config, 7 in its
// 8x8x1 one); tau and alpha are not in any shape, so they come from the matching preset, or from the
// checkpoint's own config text (meta.cfg, which mmengine stores) when it has one.
//
// Knows model/ only (DESIGN.md, interop/): no file writing here; the callers write atomically.
import { tf } from "../backend";
import { PRESET_NAMES, presetConfig, PRESETS, type PresetName, type SlowFastConfig, SlowFast } from "../model";
import { loadMmaction2StateDict, mmaction2Key, toTorchLayout } from "../model/mmaction2_keys";
import { describe, type PyValue } from "./pickle";
import { encodeTorchFile, OrderedTensors, readTorchFile, TensorRef, TorchFileError, toPlain, type SaveValue, type TensorOut, type TorchFile } from "./torch_file";

/** A checkpoint that cannot become a kit model; the message is one line and starts with the file. */
export class WeightsError extends Error {}

export interface Mmaction2StateDict {
  /** mmaction2 key (a DDP "module." prefix removed) -> tensor, PyTorch layout. */
  tensors: Map<string, TensorRef>;
  /** The checkpoint's meta, JSON-friendly ({} for a bare state_dict). */
  meta: Record<string, unknown>;
  /** Where the state dict sat: "state_dict" (mmaction2 / mmengine) or "top level" (a bare one). */
  container: string;
}

const PYSLOWFAST = /^(s[1-5](_fuse)?\.|head\.projection\.)|pathway\d_/;
const PYTORCHVIDEO = /^blocks\.\d+\.(multipathway_(blocks|fusion)|proj)\b/;

/** The state dict inside a torch file, with foreign layouts (PySlowFast, pytorchvideo) refused by name. */
export function stateDictOf(file: string, torchFile: TorchFile): Mmaction2StateDict {
  const top = torchFile.value;
  const fail = (msg: string): never => {
    throw new WeightsError(`${file}: ${msg}`);
  };
  if (!(top instanceof Map)) fail(`holds a ${describe(top)}, not a checkpoint dict or a state_dict`);
  const root = top as Map<unknown, PyValue>;
  let dict: Map<unknown, PyValue> = root;
  let container = "top level";
  for (const key of ["state_dict", "model_state", "model"]) {
    const inner = root.get(key);
    if (inner instanceof Map) {
      dict = inner;
      container = key;
      break;
    }
  }
  const tensors = new Map<string, TensorRef>();
  const other: string[] = [];
  for (const [k, v] of dict) {
    if (v instanceof TensorRef) tensors.set(String(k).replace(/^module\./, ""), v);
    else other.push(String(k));
  }
  if (tensors.size === 0) fail(`holds no tensors (keys at the ${container}: ${[...dict.keys()].slice(0, 6).join(", ") || "none"}); expected mmaction2's {meta, state_dict}`);
  if (other.length > 0) fail(`its ${container} mixes tensors with other values (${other.slice(0, 3).join(", ")}); not a state_dict`);
  const keys = [...tensors.keys()];
  const pyslowfast = keys.filter((k) => PYSLOWFAST.test(k));
  if (pyslowfast.length > 0) {
    fail(
      `a PySlowFast checkpoint (keys like ${pyslowfast.slice(0, 2).join(", ")}), not mmaction2's: its laterals carry BN + ReLU ` +
        `(s{k}_fuse.bn) where mmaction2's are a bare conv, and its head concatenates slow then fast where mmaction2's concatenates fast then slow, ` +
        `so no renaming makes it this kit's model; use an mmaction2 checkpoint (configs/recognition/slowfast)`,
    );
  }
  const ptv = keys.filter((k) => PYTORCHVIDEO.test(k));
  if (ptv.length > 0) {
    fail(
      `a pytorchvideo checkpoint (keys like ${ptv.slice(0, 2).join(", ")}), not mmaction2's: its fusion carries BN + ReLU and its head ` +
        `concatenates slow then fast (mmaction2: a bare lateral conv, fast then slow); use an mmaction2 checkpoint`,
    );
  }
  if (!keys.some((k) => /^(backbone|cls_head)\./.test(k))) {
    fail(`none of its ${keys.length} tensors has an mmaction2 recognizer key (backbone.*, cls_head.*); found ${keys.slice(0, 4).join(", ")}${keys.length > 4 ? ", ..." : ""}`);
  }
  const meta = root !== dict && root.get("meta") instanceof Map ? (toPlain(root.get("meta")!) as Record<string, unknown>) : {};
  return { tensors, meta, container };
}

/** Reads an mmaction2 checkpoint file: its state dict (not yet converted to tensors) and meta. */
export async function readMmaction2Checkpoint(file: string): Promise<Mmaction2StateDict & { format: TorchFile["format"] }> {
  let torchFile: TorchFile;
  try {
    torchFile = await readTorchFile(file);
  } catch (err) {
    if (err instanceof TorchFileError) throw new WeightsError(`${file}: ${err.message}`);
    throw err;
  }
  return { ...stateDictOf(file, torchFile), format: torchFile.format };
}

/** The architecture the shapes describe: the preset fields that weights determine. */
export interface Fingerprint {
  width: number;
  betaInv: number;
  block: "basic" | "bottleneck";
  stageBlocks: number[];
  slowConv1: number[];
  fastConv1: number[];
  slowInflate: number[];
  fastInflate: number[];
  lateralKernelT: number;
  numClasses: number;
}

const FINGERPRINT_FIELDS = ["width", "betaInv", "block", "stageBlocks", "slowConv1", "fastConv1", "slowInflate", "fastInflate", "lateralKernelT"] as const;

export function fingerprintOf(shapes: Map<string, readonly number[]>): Fingerprint {
  const need = (key: string): readonly number[] => {
    const s = shapes.get(key);
    if (!s) throw new Error(`${key} is missing`);
    return s;
  };
  const slow = need("backbone.slow_path.conv1.conv.weight"); // [width, 3, t, h, w]
  const fast = need("backbone.fast_path.conv1.conv.weight");
  const stageBlocks = [1, 2, 3, 4].map((k) => new Set([...shapes.keys()].map((key) => key.match(new RegExp(`^backbone\\.slow_path\\.layer${k}\\.(\\d+)\\.`))?.[1]).filter(Boolean)).size);
  const inflate = (path: string) => [1, 2, 3, 4].map((k) => (need(`backbone.${path}.layer${k}.0.conv1.conv.weight`)[2] === 3 ? 1 : 0));
  return {
    width: slow[0],
    betaInv: slow[0] / fast[0],
    block: shapes.has("backbone.slow_path.layer1.0.conv3.conv.weight") ? "bottleneck" : "basic",
    stageBlocks,
    slowConv1: [...slow.slice(2)],
    fastConv1: [...fast.slice(2)],
    slowInflate: inflate("slow_path"),
    fastInflate: inflate("fast_path"),
    lateralKernelT: need("backbone.slow_path.conv1_lateral.conv.weight")[2],
    numClasses: need("cls_head.fc_cls.weight")[0],
  };
}

function presetFingerprint(cfg: SlowFastConfig): Omit<Fingerprint, "numClasses"> {
  return {
    width: cfg.width,
    betaInv: cfg.betaInv,
    block: cfg.block,
    stageBlocks: [...cfg.stageBlocks],
    slowConv1: [...cfg.slow.conv1Kernel],
    fastConv1: [...cfg.fast.conv1Kernel],
    slowInflate: [...cfg.slow.inflate],
    fastInflate: [...cfg.fast.inflate],
    lateralKernelT: cfg.lateral.kernelT,
  };
}

function describeFingerprint(f: Partial<Fingerprint>): string {
  return `width ${f.width}, beta 1/${f.betaInv}, ${f.block} blocks (${f.stageBlocks}), stems (${f.slowConv1}) / (${f.fastConv1}), inflate (${f.slowInflate}) / (${f.fastInflate}), lateral kernel ${f.lateralKernelT}`;
}

/** tau and alpha from an mmengine checkpoint's config text (meta.cfg), when it states them. */
export function temporalFromMeta(meta: Record<string, unknown>): { tau?: number; alpha?: number } {
  const cfg = typeof meta.cfg === "string" ? meta.cfg : "";
  const grab = (name: string) => {
    const m = cfg.match(new RegExp(`\\b${name}\\s*=\\s*(\\d+)`));
    return m ? Number(m[1]) : undefined;
  };
  return { tau: grab("resample_rate"), alpha: grab("speed_ratio") };
}

export interface InferredConfig {
  config: SlowFastConfig;
  /** One line: how the preset was decided. */
  how: string;
}

/**
 * The kit config for these weights: `preset` when given (its class count taken from the fc), else
 * the preset whose shapes match. Throws WeightsError naming what the shapes describe when none does.
 */
export function inferConfig(file: string, sd: { tensors: Map<string, { shape: readonly number[] }>; meta: Record<string, unknown> }, preset?: string): InferredConfig {
  const shapes = new Map([...sd.tensors].map(([k, t]) => [k, t.shape] as const));
  const fc = shapes.get("cls_head.fc_cls.weight");
  const numClasses = fc?.[0];
  const temporal = temporalFromMeta(sd.meta);
  const withTemporal = (name: string, base: string) => {
    const p = presetConfig(name);
    const over = { ...(numClasses !== undefined && { numClasses }), ...(temporal.tau && { tau: temporal.tau }), ...(temporal.alpha && { alpha: temporal.alpha }) };
    const cfg = presetConfig(name, over);
    const fromMeta = (temporal.tau && temporal.tau !== p.tau) || (temporal.alpha && temporal.alpha !== p.alpha) ? `; tau ${cfg.tau}, alpha ${cfg.alpha} from the checkpoint's meta.cfg` : "";
    return { config: cfg, how: `${base}${numClasses !== undefined && numClasses !== p.numClasses ? `, ${numClasses} classes (from cls_head.fc_cls)` : ""}${fromMeta}` };
  };
  if (preset !== undefined) {
    if (!(PRESET_NAMES as string[]).includes(preset)) throw new WeightsError(`${file}: unknown preset "${preset}"; valid presets: ${PRESET_NAMES.join(", ")}`);
    return withTemporal(preset, `preset ${preset} (given)`);
  }
  let fp: Fingerprint;
  try {
    fp = fingerprintOf(shapes);
  } catch (err) {
    throw new WeightsError(`${file}: cannot infer the preset from the shapes (${(err as Error).message}); pass --preset (${PRESET_NAMES.join(", ")})`);
  }
  const matches = PRESET_NAMES.filter((name) => {
    const want = presetFingerprint(PRESETS[name as PresetName] as unknown as SlowFastConfig);
    return FINGERPRINT_FIELDS.every((f) => JSON.stringify(want[f]) === JSON.stringify(fp[f]));
  });
  if (matches.length === 0) {
    throw new WeightsError(`${file}: its shapes describe a SlowFast with ${describeFingerprint(fp)}, which no preset has (${PRESET_NAMES.join(", ")})`);
  }
  // Several presets with the same shapes differ only in tau / alpha: the checkpoint's config decides.
  const byTemporal = matches.find((name) => {
    const p = PRESETS[name as PresetName];
    return p.tau === temporal.tau && p.alpha === temporal.alpha;
  });
  const name = byTemporal ?? matches[0];
  const why = name.startsWith("slowfast_r50") ? ` (lateral kernel ${fp.lateralKernelT}: mmaction2's ${name.slice("slowfast_r50_".length)} config)` : "";
  return withTemporal(name, `preset ${name} inferred from the shapes${why}`);
}

/**
 * A SlowFast with these weights (every parameter and BN statistic; num_batches_tracked dropped).
 * All-or-nothing: unknown, missing and mis-shaped keys are thrown as one WeightsError naming them.
 */
export function buildModel(file: string, sd: Mmaction2StateDict, config: SlowFastConfig): SlowFast {
  const model = new SlowFast(config);
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [key, ref] of sd.tensors) {
      if (key.endsWith(".num_batches_tracked")) continue;
      if (ref.dtype !== "float32" && ref.dtype !== "float64" && ref.dtype !== "float16" && ref.dtype !== "bfloat16") {
        throw new WeightsError(`${file}: ${key} is ${ref.dtype}, expected a floating-point tensor`);
      }
      tensors[key] = tf.tensor(ref.toFloat32(), ref.shape, "float32");
    }
    loadMmaction2StateDict(model.params, tensors);
    return model;
  } catch (err) {
    model.dispose();
    if (err instanceof WeightsError) throw err;
    throw new WeightsError(`${file}: ${(err as Error).message.replace(/^cannot load the mmaction2 state_dict: /, "")}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}

/** Why a model cannot be written as an mmaction2 checkpoint (mmaction2 has no such option), or undefined. */
export function mmaction2Incompatibility(config: SlowFastConfig): string | undefined {
  if (config.pathways !== "slowfast") return `pathways is "${config.pathways}"; mmaction2's ResNet3dSlowFast always has both`;
  if (config.lateral.kind !== "time_strided_conv") return `lateral.kind is "${config.lateral.kind}"; mmaction2 has only the time-strided conv`;
  if (config.sampling !== "nearest") return `sampling is "${config.sampling}"; mmaction2 samples with "nearest"`;
  return undefined;
}

export interface Mmaction2Entry {
  /** mmaction2 state_dict key. */
  key: string;
  /** The kit parameter it holds (undefined for num_batches_tracked). */
  name?: string;
  /** PyTorch shape. */
  shape: number[];
  dtype: "float32" | "int64";
}

/**
 * The keys of the model's mmaction2 state_dict, in mmaction2's order (slow pathway, its laterals,
 * fast pathway, head; per BN weight, bias, running_mean, running_var, num_batches_tracked), with
 * PyTorch shapes. Throws WeightsError for a config mmaction2 cannot express.
 */
export function mmaction2Layout(model: SlowFast): Mmaction2Entry[] {
  const problem = mmaction2Incompatibility(model.config);
  if (problem) throw new WeightsError(`cannot write an mmaction2 checkpoint: ${problem}`);
  const torchShape = (s: number[]) => (s.length === 5 ? [s[4], s[3], s[0], s[1], s[2]] : s.length === 2 ? [s[1], s[0]] : [...s]);
  const group = (key: string) => (key.includes("_lateral.") ? 1 : key.startsWith("backbone.slow_path.") ? 0 : key.startsWith("backbone.fast_path.") ? 2 : 3);
  const out: Mmaction2Entry[] = [];
  for (const [name, entry] of model.params.entries) {
    const key = mmaction2Key(name);
    out.push({ key, name, shape: torchShape(entry.variable.shape), dtype: "float32" });
    if (key.endsWith(".bn.running_var")) out.push({ key: key.replace(/running_var$/, "num_batches_tracked"), shape: [], dtype: "int64" });
  }
  // A stable sort keeps the kit's order inside each group, which is mmaction2's.
  return out.map((e, i) => [e, i] as const).sort((a, b) => group(a[0].key) - group(b[0].key) || a[1] - b[1]).map(([e]) => e);
}

/**
 * The model's tensors under mmaction2's keys (mmaction2Layout's order), in PyTorch layouts.
 * num_batches_tracked is not kept by the kit (with a fixed momentum PyTorch never reads it):
 * `numBatchesTracked` is written for every BN.
 */
export function mmaction2Tensors(model: SlowFast, numBatchesTracked = 0): [string, TensorOut][] {
  return mmaction2Layout(model).map(({ key, name, shape }) => {
    if (!name) return [key, { shape, data: new BigInt64Array([BigInt(numBatchesTracked)]) }];
    const torchLayout = toTorchLayout(model.params.entries.get(name)!.variable);
    const data = torchLayout.dataSync() as Float32Array;
    torchLayout.dispose();
    return [key, { shape, data }];
  });
}

/** The bytes of an mmaction2 checkpoint: torch.save({'meta': meta, 'state_dict': OrderedDict}). */
export function encodeMmaction2Checkpoint(model: SlowFast, meta: Record<string, SaveValue>, numBatchesTracked = 0): Buffer {
  return encodeTorchFile({ meta, state_dict: new OrderedTensors(mmaction2Tensors(model, numBatchesTracked)) });
}
