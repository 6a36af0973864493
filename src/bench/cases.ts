// What `npm run bench` measures, per preset: a forward pass (eval mode) and a full training step
// (forward + backward + optimiser update) on random clips. Runs in whichever backend src/backend.ts picked.
// With `--torch`, interleave.ts times the same rig alternately with the PyTorch twin.
import { backendInfo, tf } from "../backend";
import { presetConfig, SlowFast } from "../model";
import { DEFAULT_OPTIMIZER, type FlatOptimizer, makeOptimizer } from "../train/optimizer";
import { trainStep } from "../train/step";
import { timeIt, type Timing } from "./timing";

export interface BenchCase {
  preset: string;
  batch: number;
  /** Also time a training step (the R50 presets are measured forward-only: a step takes minutes of RAM-bound work). */
  train: boolean;
  /** Only on the native backend (pure JS would take minutes per run). */
  nativeOnly: boolean;
}

export const BENCH_CASES: BenchCase[] = [
  { preset: "slowfast_tiny", batch: 8, train: true, nativeOnly: false },
  { preset: "slowfast_test", batch: 8, train: true, nativeOnly: false },
  { preset: "slowfast_r50_4x16x1", batch: 1, train: false, nativeOnly: true },
  { preset: "slowfast_r50_8x8x1", batch: 1, train: false, nativeOnly: true },
];

export interface BenchResult {
  preset: string;
  backend: string;
  batch: number;
  input: number[];
  params: number;
  /** Forward multiply-adds for the whole batch (conv + fc). */
  macs: number;
  forward: Timing & { gflops: number };
  /** A step does ~3x the forward's work (forward, input gradients, weight gradients): gflops uses 3x. */
  trainStep?: Timing & { gflops: number; clipsPerSecond: number };
  /** The PyTorch twin's times, measured interleaved with these (`--torch`; see interleave.ts). */
  torch?: TwinResult;
  leakedTensors: number;
}

export interface TwinResult {
  torchVersion: string;
  threads: number;
  /** The twin's trainable parameters (equal to `params` when the twin builds the same network). */
  params: number;
  forward: Timing;
  trainStep?: Timing;
  /** tfjs median / torch median: > 1 means tfjs is slower. */
  ratio: { forward: number; trainStep?: number };
}

/**
 * The training step `npm start` runs: the default optimiser (AdamW), clipping at 40. The tfjs
 * optimiser (prepareCase) and the PyTorch twin's (bench/torch/serve.py) are both built from this.
 */
export const BENCH_OPTIMIZER = { ...DEFAULT_OPTIMIZER, clipNorm: 40 } as const;

/** One preset's model, random batch and optimiser, with the two timed operations. */
export interface CaseRig {
  model: SlowFast;
  input: number[];
  macs: number;
  /** An eval-mode forward pass, waited for. */
  forward(): void;
  /** One training step (the kit's trainStep). */
  trainStep(): void;
  dispose(): void;
}

export function prepareCase(c: BenchCase): CaseRig {
  const model = new SlowFast(presetConfig(c.preset));
  const input = model.inputShape(c.batch);
  const clips = tf.randomNormal(input, 0, 1, "float32", 7) as tf.Tensor5D;
  const labels = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % model.config.numClasses), "int32");
  let optimizer: FlatOptimizer | undefined;
  return {
    model,
    input: [...input],
    macs: model.plan(c.batch).reduce((a, s) => a + s.macs, 0),
    forward() {
      const logits = model.predict(clips);
      logits.dataSync(); // wait for the result: the native backend runs asynchronously
      logits.dispose();
    },
    trainStep() {
      optimizer ??= makeOptimizer(BENCH_OPTIMIZER, model.trainableVariables());
      trainStep(model, optimizer, clips, labels, { clipNorm: BENCH_OPTIMIZER.clipNorm });
    },
    dispose() {
      optimizer?.dispose();
      tf.dispose([clips, labels]);
      model.dispose();
    },
  };
}

export const gflops = (macs: number, ms: number) => (2 * macs) / (ms * 1e6);

/** The tfjs half of a result, from the measured times. */
export function tfjsResult(c: BenchCase, rig: CaseRig, forward: Timing, step?: Timing): BenchResult {
  const result: BenchResult = {
    preset: c.preset,
    backend: backendInfo().kind,
    batch: c.batch,
    input: rig.input,
    params: rig.model.paramCounts().total,
    macs: rig.macs,
    forward: { ...forward, gflops: gflops(rig.macs, forward.medianMs) },
    leakedTensors: 0,
  };
  if (step) result.trainStep = { ...step, gflops: gflops(3 * rig.macs, step.medianMs), clipsPerSecond: (1000 * c.batch) / step.medianMs };
  return result;
}

/**
 * Runs `measure` on a fresh rig and fills in leakedTensors: the optimizer's slots are freed with it
 * and the model's variables with the model, so anything still alive afterwards is a leak.
 */
export async function withRig(c: BenchCase, measure: (rig: CaseRig) => BenchResult | Promise<BenchResult>): Promise<BenchResult> {
  const before = tf.memory().numTensors;
  const rig = prepareCase(c);
  let result: BenchResult;
  try {
    result = await measure(rig);
  } finally {
    rig.dispose();
  }
  result.leakedTensors = tf.memory().numTensors - before;
  return result;
}

/** tfjs alone: `runs` timed forwards, then `runs` timed steps (after one warm-up each). */
export function runCase(c: BenchCase, runs: number): Promise<BenchResult> {
  return withRig(c, (rig) => tfjsResult(c, rig, timeIt(rig.forward, runs), c.train ? timeIt(rig.trainStep, runs) : undefined));
}
