// The optimisers: AdamW (the kit's default) and mmaction2's SGD with momentum, each updating ALL
// parameters at once over one flat vector.
//
// Why flat: the model has ~80 trainable tensors; an update written per tensor runs ~16 small kernels
// for each (moments, bias correction, decay, clipping), ~1,300 kernel launches per step on
// tfjs-node, where a launch costs about as much as a small conv. Over one flat vector the update is
// ~15 kernels plus a reshape per tensor to gather the gradients and one to scatter the new weights.
// The weights' flat copy is kept between updates (`flatWeights`), so only the gradients are
// gathered; it is rebuilt when a variable was assigned from outside (a checkpoint load, --init).
//
// The update rules (PyTorch's, checked against a per-tensor reference in test/optimizer.test.ts):
//   AdamW  w <- w * (1 - lr * wd * decayMask)                      decoupled decay (Loshchilov & Hutter)
//          m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
//          w <- w - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//   SGD    g <- g + wd * w;  buf <- momentum * buf + g;  w <- w - lr * buf     (PyTorch SGD, dampening 0)
// `decayMask` is 1 for conv and fc weights and 0 for batch-norm gamma/beta and biases (nanoGPT's rule:
// decay only tensors of rank >= 2). mmaction2's SGD decays every parameter, so SGD keeps that.
import { tf } from "../backend";

export type OptimizerKind = "sgd" | "adamw";

export interface OptimizerConfig {
  kind: OptimizerKind;
  /** Peak learning rate (after warm-up). */
  lr: number;
  /** SGD momentum (unused by AdamW). */
  momentum: number;
  /** AdamW's moment decay rates (unused by SGD). */
  beta1: number;
  beta2: number;
  weightDecay: number;
}

/**
 * mmaction2's SlowFast recipe (SGD, momentum 0.9, weight decay 1e-4 on every parameter), its
 * learning rate scaled linearly from 0.1 at batch 64 down to batch 8 and up for a small model.
 */
export const MMACTION2_SGD: OptimizerConfig = { kind: "sgd", lr: 0.05, momentum: 0.9, beta1: 0, beta2: 0, weightDecay: 1e-4 };
/**
 * The kit's default: AdamW at 3e-3. beta2 0.99 instead of PyTorch's 0.999: the second moment then
 * averages ~100 steps, not ~1,000, which suits a run of ~1,000 steps. Weight decay 0.05, in the
 * usual AdamW range (0.01-0.1), not tuned here: what mattered, measured, was to decouple it and keep
 * it off the batch-norm scales (README "Training").
 */
export const DEFAULT_OPTIMIZER: OptimizerConfig = { kind: "adamw", lr: 3e-3, momentum: 0, beta1: 0.9, beta2: 0.99, weightDecay: 0.05 };

/** The default settings of an optimiser kind. */
export function optimizerDefaults(kind: OptimizerKind): OptimizerConfig {
  if (kind === "sgd") return MMACTION2_SGD;
  if (kind === "adamw") return DEFAULT_OPTIMIZER;
  throw new Error(`unknown optimizer "${String(kind)}"; choose adamw or sgd`);
}

/** One trainable tensor as the optimiser sees it. */
export interface OptimizedParam {
  variable: tf.Variable;
  /** Whether AdamW's decoupled weight decay applies (conv and fc weights). */
  decay: boolean;
}

/** What a checkpoint stores of the optimiser: the step count and the flat state vectors. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

const ADAM_EPS = 1e-8;

export class FlatOptimizer {
  /** Set before every update by the schedule. */
  learningRate: number;
  /** Updates done (AdamW's bias correction needs it). */
  private steps = 0;
  /** AdamW: first and second moments; SGD: the momentum buffer in `first`. [P] each, P = total parameters. */
  private readonly first: tf.Variable;
  private readonly second: tf.Variable | null;
  /** [P]: 1 where decay applies (AdamW), 0 elsewhere. */
  private readonly decayMask: tf.Tensor1D;
  /** [P]: the weights after the last update, and the data each variable held then (to see outside assigns). */
  private flatWeights: tf.Tensor1D | null = null;
  private scattered: object[] = [];
  readonly size: number;

  constructor(readonly config: OptimizerConfig, readonly params: OptimizedParam[]) {
    if (config.kind !== "sgd" && config.kind !== "adamw") throw new Error(`unknown optimizer "${String(config.kind)}"; choose adamw or sgd`);
    this.learningRate = config.lr;
    this.size = params.reduce((a, p) => a + p.variable.size, 0);
    // tidy frees the zeros the variables were made from (variables outlive any tidy).
    this.first = tf.tidy(() => tf.variable(tf.zeros([this.size]), false));
    this.second = config.kind === "adamw" ? tf.tidy(() => tf.variable(tf.zeros([this.size]), false)) : null;
    const mask = new Float32Array(this.size);
    let offset = 0;
    for (const p of params) {
      if (p.decay) mask.fill(1, offset, offset + p.variable.size);
      offset += p.variable.size;
    }
    this.decayMask = tf.tensor1d(mask);
  }

  get iterations(): number {
    return this.steps;
  }

  /** Concatenates tensors shaped like the params, in param order: [P]. */
  flatten(tensors: tf.Tensor[]): tf.Tensor1D {
    // A reshape is a kernel launch on tfjs-node even when nothing changes: rank-1 tensors skip it.
    return tf.tidy(() => tf.concat(tensors.map((t) => (t.rank === 1 ? t : tf.reshape(t, [-1]))), 0) as tf.Tensor1D);
  }

  /** The weights as one [P] vector: the copy kept from the last update while no variable changed since. */
  private currentWeights(): tf.Tensor1D {
    const unchanged = this.flatWeights !== null && this.params.every((p, i) => (p.variable.dataId as object) === this.scattered[i]);
    if (!unchanged) {
      this.flatWeights?.dispose();
      this.flatWeights = tf.keep(this.flatten(this.params.map((p) => p.variable)));
    }
    return this.flatWeights!;
  }

  /**
   * One update from the flat gradient `grad` ([P], in param order), multiplied by `gradScale`
   * first (gradient clipping). Does not take ownership of `grad`.
   */
  update(grad: tf.Tensor1D, gradScale = 1): void {
    if (grad.size !== this.size) throw new Error(`optimizer: gradient has ${grad.size} values, the parameters ${this.size}`);
    this.steps++;
    const { lr, kind, weightDecay: wd } = { ...this.config, lr: this.learningRate };
    const newWeights = tf.tidy(() => {
      const g = gradScale === 1 ? grad : tf.mul(grad, gradScale);
      const w = this.currentWeights();
      if (kind === "sgd") {
        const buf = tf.add(tf.mul(this.first, this.config.momentum), wd > 0 ? tf.add(g, tf.mul(w, wd)) : g);
        this.first.assign(buf);
        return tf.sub(w, tf.mul(buf, lr)) as tf.Tensor1D;
      }
      const { beta1: b1, beta2: b2 } = this.config;
      const m = tf.add(tf.mul(this.first, b1), tf.mul(g, 1 - b1));
      const v = tf.add(tf.mul(this.second!, b2), tf.mul(tf.square(g), 1 - b2));
      this.first.assign(m);
      this.second!.assign(v);
      const denom = tf.add(tf.mul(tf.sqrt(v), 1 / Math.sqrt(1 - b2 ** this.steps)), ADAM_EPS);
      const decayed = wd > 0 ? tf.mul(w, tf.sub(1, tf.mul(this.decayMask, lr * wd))) : w;
      return tf.sub(decayed, tf.mul(tf.div(m, denom), lr / (1 - b1 ** this.steps))) as tf.Tensor1D;
    });
    this.scatter(newWeights);
    this.flatWeights?.dispose();
    // Kept: an update called inside a caller's tf.tidy must not lose the copy when that scope ends.
    this.flatWeights = tf.keep(newWeights);
  }

  /** Writes the flat vector back into the params, in order, and notes what each then holds. */
  private scatter(flat: tf.Tensor1D): void {
    tf.tidy(() => {
      const pieces = tf.split(flat, this.params.map((p) => p.variable.size)) as tf.Tensor[];
      this.params.forEach((p, i) => p.variable.assign(p.variable.rank === 1 ? pieces[i] : tf.reshape(pieces[i], p.variable.shape)));
    });
    this.scattered = this.params.map((p) => p.variable.dataId as object);
  }

  /** The state a checkpoint saves: "steps", then the flat moments / momentum buffer. Copies. */
  getWeights(): NamedTensor[] {
    const state: NamedTensor[] = [
      { name: "steps", tensor: tf.scalar(this.steps) },
      { name: "first", tensor: this.first.clone() },
    ];
    if (this.second) state.push({ name: "second", tensor: this.second.clone() });
    return state;
  }

  /** Restores what getWeights() gave; names and sizes must match. Does not take ownership. */
  setWeights(weights: NamedTensor[]): void {
    const byName = new Map(weights.map((w) => [w.name, w.tensor]));
    const expected = this.second ? ["steps", "first", "second"] : ["steps", "first"];
    const names = weights.map((w) => w.name);
    if (names.join(",") !== expected.join(",")) {
      throw new Error(`optimizer state holds [${names.join(", ")}], ${this.config.kind} expects [${expected.join(", ")}] (saved by another optimizer or an older kit?)`);
    }
    for (const [name, slot] of [["first", this.first], ["second", this.second]] as const) {
      if (!slot) continue;
      const t = byName.get(name)!;
      if (t.size !== this.size) throw new Error(`optimizer state "${name}" has ${t.size} values, the parameters ${this.size}`);
      tf.tidy(() => slot.assign(tf.reshape(t, [this.size])));
    }
    this.steps = byName.get("steps")!.dataSync()[0];
  }

  dispose(): void {
    tf.dispose([this.first, this.decayMask, ...(this.second ? [this.second] : []), ...(this.flatWeights ? [this.flatWeights] : [])]);
    this.flatWeights = null;
  }
}

/** An optimiser over `variables`; decay applies to conv and fc weights (rank >= 2), not to batch-norm parameters or biases. */
export function makeOptimizer(config: OptimizerConfig, variables: tf.Variable[]): FlatOptimizer {
  return new FlatOptimizer(config, variables.map((variable) => ({ variable, decay: variable.rank >= 2 })));
}
