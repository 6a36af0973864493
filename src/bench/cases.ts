// What `npm run bench` measures, per preset: a forward pass (eval mode) and a full training step
// (forward + backward + SGD update) on random clips. Runs in whichever backend src/backend.ts picked.
import { backendInfo, tf } from "../backend";
import { presetConfig, SlowFast } from "../model";
import { DEFAULT_OPTIMIZER, makeOptimizer } from "../train/optimizer";
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
  leakedTensors: number;
}

const gflops = (macs: number, ms: number) => (2 * macs) / (ms * 1e6);

export function runCase(c: BenchCase, runs: number): BenchResult {
  const before = tf.memory().numTensors;
  const model = new SlowFast(presetConfig(c.preset));
  const input = model.inputShape(c.batch);
  const clips = tf.randomNormal(input, 0, 1, "float32", 7) as tf.Tensor5D;
  const labels = tf.tensor1d(Array.from({ length: c.batch }, (_, i) => i % model.config.numClasses), "int32");
  const macs = model.plan(c.batch).reduce((a, s) => a + s.macs, 0);
  let result: BenchResult;
  try {
    const fwd = timeIt(() => {
      const logits = model.predict(clips);
      logits.dataSync(); // wait for the result: the native backend runs asynchronously
      logits.dispose();
    }, runs);
    result = {
      preset: c.preset,
      backend: backendInfo().kind,
      batch: c.batch,
      input: [...input],
      params: model.paramCounts().total,
      macs,
      forward: { ...fwd, gflops: gflops(macs, fwd.medianMs) },
      leakedTensors: 0,
    };
    if (c.train) {
      // The step `npm start` runs: the default optimiser (AdamW), clipping at 40.
      const optimizer = makeOptimizer(DEFAULT_OPTIMIZER, model.trainableVariables());
      const step = timeIt(() => trainStep(model, optimizer, clips, labels, { clipNorm: 40 }), runs);
      optimizer.dispose();
      result.trainStep = { ...step, gflops: gflops(3 * macs, step.medianMs), clipsPerSecond: (1000 * c.batch) / step.medianMs };
    }
  } finally {
    tf.dispose([clips, labels]);
    model.dispose();
  }
  // The optimizer's slots are freed with it and the model's variables with the model: anything
  // still alive now is a leak.
  result.leakedTensors = tf.memory().numTensors - before;
  return result;
}
