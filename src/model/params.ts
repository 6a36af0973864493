// Named parameters. Every variable of a model lives in one ParamStore under a dotted path
// ("slow.res2.0.conv1.weight"), so checkpoints, parameter counts per pathway and gradient checks
// can address them. tfjs variable names are global, so we keep our own names here instead.
import { tf } from "../backend";
import { initSeedBase } from "../util/seed";

export interface ParamEntry {
  variable: tf.Variable;
  /** false for batch-norm running statistics (PyTorch "buffers", not parameters). */
  trainable: boolean;
}

export class ParamStore {
  readonly entries = new Map<string, ParamEntry>();
  private nextSeed: number;

  constructor(seed = 0) {
    this.nextSeed = initSeedBase(seed);
  }

  /** A deterministic seed for the next initialiser: same construction order, same weights. */
  seed(): number {
    return this.nextSeed++;
  }

  /** Takes ownership of `init` (it becomes the variable's value). */
  add(name: string, init: tf.Tensor, trainable = true): tf.Variable {
    if (this.entries.has(name)) throw new Error(`parameter "${name}" is defined twice`);
    const variable = tf.variable(init, trainable);
    init.dispose();
    this.entries.set(name, { variable, trainable });
    return variable;
  }

  scope(prefix: string): ParamScope {
    return new ParamScope(this, prefix);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.entries.values()].filter((e) => e.trainable).map((e) => e.variable);
  }

  /** Trainable parameter count of the names under any of the given prefixes (all when none). */
  count(...prefixes: string[]): number {
    let total = 0;
    for (const [name, e] of this.entries) {
      if (e.trainable && (prefixes.length === 0 || prefixes.some((p) => name.startsWith(p)))) total += e.variable.size;
    }
    return total;
  }

  dispose(): void {
    for (const e of this.entries.values()) e.variable.dispose();
    this.entries.clear();
  }
}

/** A view of a ParamStore that prefixes names: scope("slow").scope("res2").add("w") -> "slow.res2.w". */
export class ParamScope {
  constructor(readonly store: ParamStore, readonly prefix: string) {}

  child(name: string): ParamScope {
    return new ParamScope(this.store, this.prefix ? `${this.prefix}.${name}` : name);
  }

  add(name: string, init: tf.Tensor, trainable = true): tf.Variable {
    return this.store.add(this.prefix ? `${this.prefix}.${name}` : name, init, trainable);
  }

  seed(): number {
    return this.store.seed();
  }
}

/** Kaiming normal, mode fan_out, ReLU gain (mmcv's kaiming_init as mmaction2 uses it for convs). */
export function kaimingNormal(scope: ParamScope, shape: number[], fanOut: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanOut), "float32", scope.seed());
}
