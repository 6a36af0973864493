// Weights from either world into a SlowFast: an mmaction2 checkpoint (.pth, read by interop/) or
// the kit's own checkpoint (.ckpt, checkpoint.ts), told apart by their first bytes, not their names.
//
//   loadWeights(file)               a whole model: `slowfast infer`, `slowfast export`, notebook 09
//   initFromWeights(model, file)    every backbone tensor into a model built for another data set,
//                                   the classifier new unless it has the same classes: mmaction2's
//                                   fine-tuning recipe (`load_from` a Kinetics-400 checkpoint), for
//                                   `slowfast train --init`
import { open } from "node:fs/promises";
import { tf } from "../backend";
import { buildModel, inferConfig, readMmaction2Checkpoint, WeightsError } from "../interop/mmaction2";
import { presetConfig, SlowFast, type SlowFastConfig } from "../model";
import { mapMmaction2Keys, toKitLayout } from "../model/mmaction2_keys";
import { loadCheckpoint, restoreModel } from "./checkpoint";

export { WeightsError };

export type WeightsKind = "mmaction2" | "kit";
export type ConfigOverrides = Partial<Pick<SlowFastConfig, "size" | "frames" | "dropout">>;

export interface LoadedWeights {
  model: SlowFast;
  kind: WeightsKind;
  /** One line: the file's kind and how its preset was decided. */
  describe: string;
  /** Class names the file carries (a kit checkpoint's meta.classes). */
  classes?: string[];
  /** The file's meta (an mmaction2 checkpoint's meta, a kit checkpoint's meta without its config). */
  meta: Record<string, unknown>;
}

export interface LoadWeightsOptions {
  /** For an mmaction2 checkpoint: the preset (default: inferred from the shapes). */
  preset?: string;
  /**
   * Config fields that weights do not fix, e.g. { size: 256 } for 256-pixel three-crop views; a
   * function gets the file's config first.
   */
  overrides?: ConfigOverrides | ((config: SlowFastConfig) => ConfigOverrides);
}

/** "kit" for the kit's checkpoint format (checkpoint.ts: "SFCKPT<version>"), else "mmaction2" (a torch.save file, whose reader names what is wrong otherwise). */
export async function weightsKind(file: string): Promise<WeightsKind> {
  let head = Buffer.alloc(0);
  try {
    const fh = await open(file, "r");
    try {
      head = Buffer.alloc(8);
      const { bytesRead } = await fh.read(head, 0, 8, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new WeightsError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return head.toString("latin1").startsWith("SFCKPT") ? "kit" : "mmaction2";
}

/** The preset a weights file holds (cheap for .pth: shapes only, no tensors made). */
export async function weightsPreset(file: string): Promise<string> {
  if ((await weightsKind(file)) === "kit") {
    const ckpt = await loadCheckpoint(file);
    tf.dispose([...ckpt.model.values(), ...ckpt.optimizer.map((o) => o.tensor)]);
    return ckpt.meta.config.name;
  }
  return inferConfig(file, await readMmaction2Checkpoint(file)).config.name;
}

/** A model with the file's weights; the caller disposes result.model. */
export async function loadWeights(file: string, opts: LoadWeightsOptions = {}): Promise<LoadedWeights> {
  const overridesFor = (config: SlowFastConfig) => (typeof opts.overrides === "function" ? opts.overrides(config) : (opts.overrides ?? {}));
  if ((await weightsKind(file)) === "kit") {
    const ckpt = await loadCheckpoint(file);
    tf.dispose(ckpt.optimizer.map((o) => o.tensor));
    const { config, ...meta } = ckpt.meta;
    if (opts.preset !== undefined && opts.preset !== config.name) {
      tf.dispose([...ckpt.model.values()]);
      throw new WeightsError(`${file}: a kit checkpoint of preset ${config.name}, not ${opts.preset}`);
    }
    const model = new SlowFast({ ...config, ...overridesFor(config) });
    try {
      restoreModel(model, ckpt.model, file);
    } catch (err) {
      model.dispose();
      throw err;
    }
    return { model, kind: "kit", describe: `kit checkpoint, preset ${config.name}, epoch ${ckpt.meta.epoch}`, classes: ckpt.meta.classes, meta };
  }
  const sd = await readMmaction2Checkpoint(file);
  const inferred = inferConfig(file, sd, opts.preset);
  const config = presetConfig(inferred.config.name, { ...inferred.config, ...overridesFor(inferred.config) });
  const model = buildModel(file, sd, config);
  const dropped = [...sd.tensors.keys()].filter((k) => k.endsWith(".num_batches_tracked")).length;
  return {
    model,
    kind: "mmaction2",
    describe: `mmaction2 checkpoint (torch.save ${sd.format}), ${sd.tensors.size - dropped} tensors${dropped ? ` (+${dropped} num_batches_tracked, not needed)` : ""}; ${inferred.how}`,
    meta: sd.meta,
  };
}

/** Kit-named tensors (kit layout) of a weights file, and the classes it names; the caller disposes them. */
async function kitTensors(file: string): Promise<{ tensors: Map<string, tf.Tensor>; classes?: string[]; preset: string; unknown: string[] }> {
  if ((await weightsKind(file)) === "kit") {
    const ckpt = await loadCheckpoint(file);
    tf.dispose(ckpt.optimizer.map((o) => o.tensor));
    return { tensors: ckpt.model, classes: ckpt.meta.classes, preset: ckpt.meta.config.name, unknown: [] };
  }
  const sd = await readMmaction2Checkpoint(file);
  let preset = "an unknown preset";
  try {
    preset = inferConfig(file, sd).config.name;
  } catch {
    // the shape check below names what differs
  }
  const tensors = new Map<string, tf.Tensor>();
  const { mapped, unknown } = mapMmaction2Keys(sd.tensors.keys());
  for (const [key, name] of mapped) {
    const ref = sd.tensors.get(key)!;
    const raw = tf.tensor(ref.toFloat32(), ref.shape, "float32");
    tensors.set(name, toKitLayout(raw));
    raw.dispose();
  }
  return { tensors, preset, unknown };
}

/**
 * Assigns every parameter and BN statistic of `model` except the classifier from `file`
 * (.pth or .ckpt); the classifier (head.fc) is kept from the file only when it has the same
 * classes (a kit checkpoint trained on `classes`), else it stays freshly initialised for the data
 * set. All-or-nothing: a missing, unknown or mis-shaped tensor throws one WeightsError naming them
 * and the preset the file holds. Returns one line saying what was loaded.
 */
export async function initFromWeights(model: SlowFast, file: string, classes: string[]): Promise<string> {
  const src = await kitTensors(file);
  try {
    const missing: string[] = [];
    const mismatched: string[] = [];
    const plan: [tf.Variable, tf.Tensor][] = [];
    for (const [name, entry] of model.params.entries) {
      if (name.startsWith("head.fc.")) continue;
      const t = src.tensors.get(name);
      if (!t) missing.push(name);
      else if (t.shape.join() !== entry.variable.shape.join()) mismatched.push(`${name} [${t.shape}] vs [${entry.variable.shape}]`);
      else plan.push([entry.variable, t]);
    }
    const extra = [...src.tensors.keys()].filter((n) => !model.params.entries.has(n) && !n.startsWith("head.fc."));
    const unknown = [...src.unknown, ...extra];
    const problems = [
      missing.length ? `${missing.length} missing (${missing.slice(0, 4).join(", ")}${missing.length > 4 ? ", ..." : ""})` : "",
      mismatched.length ? `${mismatched.length} mis-shaped (${mismatched.slice(0, 3).join(", ")}${mismatched.length > 3 ? ", ..." : ""})` : "",
      unknown.length ? `${unknown.length} not in the model (${unknown.slice(0, 4).join(", ")}${unknown.length > 4 ? ", ..." : ""})` : "",
    ].filter(Boolean);
    if (problems.length) {
      throw new WeightsError(`${file}: its weights do not fit preset ${model.config.name} (${model.config.pathways}): ${problems.join("; ")}; the file holds ${src.preset}`);
    }
    for (const [variable, t] of plan) variable.assign(t);
    const fcW = src.tensors.get("head.fc.weight");
    const sameClasses = src.classes !== undefined && JSON.stringify(src.classes) === JSON.stringify(classes);
    if (fcW && sameClasses && fcW.shape.join() === model.head.weight.shape.join()) {
      model.head.weight.assign(fcW);
      model.head.bias.assign(src.tensors.get("head.fc.bias")!);
      return `init: ${plan.length + 2} tensors from ${file} (${src.preset}), the classifier included (same ${classes.length} classes)`;
    }
    const theirs = fcW ? `the file's classifier has ${fcW.shape[1]} classes${src.classes ? "" : ", unnamed"}` : "the file has no classifier";
    return `init: ${plan.length} backbone tensors from ${file} (${src.preset}); new classifier for ${classes.length} classes (${theirs}), as mmaction2 fine-tunes`;
  } finally {
    tf.dispose([...src.tensors.values()]);
  }
}
