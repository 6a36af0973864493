// What a training run is asked to do, checked before it starts, and the part of it a resumed run
// must share with the run it continues.
//
//   checkTrainOptions   every number finite and in range, named as the CLI names it, so a NaN can
//                       never reach the learning rate and be blamed on --lr later
//   runSignature        epochs, steps per epoch, seed, optimiser, schedule, clipping (+ the caller's
//                       extras, e.g. the batch size): stored in every checkpoint's meta
//   signatureChanges    what differs between a checkpoint's signature and this run's, as flags
//                       (all but --epochs must agree: a batch size or seed change would silently
//                       make another run, e.g. a schedule whose steps no longer match the epochs)
import type { TrainOptions } from "./trainer";

type Checked = Pick<TrainOptions, "epochs" | "optimizer" | "warmupEpochs" | "holdEpochs" | "clipNorm" | "seed">;

/** The CLI's name for each option (the library's names appear in the errors only where no flag exists). */
const FLAG: Record<string, string> = {
  epochs: "--epochs",
  warmupEpochs: "--warmup",
  holdEpochs: "--hold",
  clipNorm: "clipNorm",
  seed: "--seed",
  lr: "--lr",
  weightDecay: "--weight-decay",
  kind: "--optimizer",
  momentum: "momentum",
  beta1: "beta1",
  beta2: "beta2",
  stepsPerEpoch: "steps per epoch",
  batchSize: "--batch",
  frameInterval: "--frame-interval",
  preset: "--preset",
  pathways: "--pathways",
  classes: "--classes",
  split: "--split",
};

const flag = (key: string) => FLAG[key] ?? key;

export function checkTrainOptions(o: Checked): void {
  const fail = (key: string, want: string, got: unknown) => {
    throw new Error(`train: ${flag(key)} must be ${want}, got ${typeof got === "number" ? String(got) : JSON.stringify(got)}`);
  };
  const num = (key: string, v: unknown, ok: (x: number) => boolean, want: string) => {
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) fail(key, want, v);
  };
  num("epochs", o.epochs, (x) => Number.isInteger(x) && x > 0, "a positive integer");
  num("seed", o.seed, (x) => Number.isInteger(x) && x >= 0, "an integer >= 0");
  num("warmupEpochs", o.warmupEpochs, (x) => x >= 0, "a number >= 0");
  num("holdEpochs", o.holdEpochs ?? 0, (x) => x >= 0, "a number >= 0");
  num("clipNorm", o.clipNorm, (x) => x > 0, "a positive number");
  const opt = o.optimizer;
  if (opt.kind !== "sgd" && opt.kind !== "adamw") fail("kind", "adamw or sgd", opt.kind);
  num("lr", opt.lr, (x) => x > 0, "a positive number");
  num("weightDecay", opt.weightDecay, (x) => x >= 0, "a number >= 0");
  if (opt.kind === "sgd") num("momentum", opt.momentum, (x) => x >= 0 && x < 1, "in [0, 1)");
  else for (const k of ["beta1", "beta2"] as const) num(k, opt[k], (x) => x >= 0 && x < 1, "in [0, 1)");
}

export type RunSignature = Record<string, string | number | boolean>;

export function runSignature(o: Checked, stepsPerEpoch: number, extra: RunSignature = {}): RunSignature {
  const { kind, lr, momentum, beta1, beta2, weightDecay } = o.optimizer;
  return { epochs: o.epochs, stepsPerEpoch, seed: o.seed, kind, lr, momentum, beta1, beta2, weightDecay, warmupEpochs: o.warmupEpochs, holdEpochs: o.holdEpochs ?? 0, clipNorm: o.clipNorm, ...extra };
}

/**
 * ["--batch 8 (now 4)", "--seed 1 (now 2)"] for every key whose value differs; [] when they agree.
 * --epochs may change (train longer or stop sooner: the cosine is stretched from the current step).
 */
export function signatureChanges(saved: RunSignature, now: RunSignature): string[] {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])].filter((k) => k !== "epochs");
  return keys.filter((k) => saved[k] !== now[k]).map((k) => `${flag(k)} ${saved[k] ?? "unset"} (now ${now[k] ?? "unset"})`);
}
