// The trainer: schedule, checkpoints (round trip, atomic, corrupt files), resume = uninterrupted,
// constant tensor count over many steps, the NaN guard, and the sanity ladder (initial loss near
// ln K, overfitting one batch). Data are in-memory tensors that depend only on (epoch, batch).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { tf } from "../src/backend";
import { presetConfig, SlowFast } from "../src/model";
import { loadCheckpoint, restoreModel, saveCheckpoint } from "../src/train/checkpoint";
import { crossEntropy } from "../src/train/loss";
import { readMetrics } from "../src/train/metrics";
import { learningRateAt } from "../src/train/schedule";
import type { TrainBatch } from "../src/train/source";
import { NonFiniteLossError, train, type TrainOptions } from "../src/train/trainer";
import { DEFAULT_OPTIMIZER, MMACTION2_SGD } from "../src/train/optimizer";
import { memorySource as sharedMemorySource } from "./memory-source";

const config = presetConfig("slowfast_test");
const K = config.numClasses;
const tmp = () => mkdtempSync(join(tmpdir(), "slowfast-train-"));

const memorySource = (batches: number, batchSize: number, opts: { nan?: boolean } = {}) => sharedMemorySource(config, batches, batchSize, opts);

const baseOptions = (outDir: string, epochs: number): TrainOptions => ({
  epochs,
  optimizer: MMACTION2_SGD,
  warmupEpochs: 1,
  clipNorm: 40,
  seed: 3,
  outDir,
  classes: Array.from({ length: K }, (_, i) => `class${i}`),
  progressBar: false,
  log: () => undefined,
});

test("learning rate: linear warm-up from 0.1x, then cosine to the minimum", () => {
  const s = { lr: 1, totalSteps: 110, warmupSteps: 10, warmupStartFactor: 0.1, minLr: 0 };
  assert.equal(learningRateAt(0, s), 0.1);
  assert.ok(Math.abs(learningRateAt(5, s) - 0.55) < 1e-12);
  assert.equal(learningRateAt(10, s), 1);
  assert.ok(Math.abs(learningRateAt(60, s) - 0.5) < 1e-12);
  assert.ok(learningRateAt(110, s) < 1e-12);
});

test("checkpoint round trip: same predictions; a truncated or foreign file gives an error naming it", async () => {
  const dir = tmp();
  const file = join(dir, "a.ckpt");
  const a = new SlowFast(config, 1);
  const b = new SlowFast(config, 2);
  const clip = tf.randomNormal(a.inputShape(2), 0, 1, "float32", 5) as tf.Tensor5D;
  try {
    await saveCheckpoint(file, { config, epoch: 1, step: 4, classes: [] }, a);
    assert.deepEqual(readdirSync(dir), ["a.ckpt"], "no temporary file left behind");
    const ckpt = await loadCheckpoint(file);
    assert.equal(ckpt.meta.step, 4);
    restoreModel(b, ckpt.model, file);
    const [pa, pb] = [a.predict(clip), b.predict(clip)];
    assert.deepEqual(Array.from(pb.dataSync()), Array.from(pa.dataSync()));
    tf.dispose([pa, pb]);

    const bytes = await readFile(file);
    await writeFile(join(dir, "cut.ckpt"), bytes.subarray(0, bytes.length - 100));
    await assert.rejects(loadCheckpoint(join(dir, "cut.ckpt")), /cut\.ckpt: truncated/);
    writeFileSync(join(dir, "text.ckpt"), "hello");
    await assert.rejects(loadCheckpoint(join(dir, "text.ckpt")), /text\.ckpt: not a slowfast checkpoint/);
    await assert.rejects(loadCheckpoint(join(dir, "absent.ckpt")), /absent\.ckpt: cannot read \(ENOENT\)/);
  } finally {
    tf.dispose(clip);
    a.dispose();
    b.dispose();
  }
});

test("sanity ladder: initial loss is close to ln(K), and the model overfits one small batch", async () => {
  const model = new SlowFast({ ...config, dropout: 0 }, 0);
  const source = memorySource(1, 4);
  try {
    const it = source.batches(0)[Symbol.asyncIterator]();
    const { value: batch } = (await it.next()) as IteratorResult<TrainBatch>;
    const initial = tf.tidy(() => crossEntropy(model.forward(batch.clips, { training: true }).logits, batch.labels).dataSync()[0]);
    tf.dispose([batch.clips, batch.labels]);
    assert.ok(Math.abs(initial - Math.log(K)) < 0.1, `initial loss ${initial} vs ln(${K}) = ${Math.log(K)}`);
    const fixed = { batchesPerEpoch: 1, batches: () => source.batches(0) };
    const r = await train(model, fixed, undefined, { ...baseOptions(tmp(), 30), optimizer: { ...DEFAULT_OPTIMIZER, weightDecay: 0 }, warmupEpochs: 0 });
    const last = r.metrics[r.metrics.length - 1];
    assert.equal(last.trainAccuracy, 1, `train accuracy on the one batch after 30 steps: ${last.trainAccuracy}`);
    assert.ok(last.trainLoss < initial / 4, `loss ${last.trainLoss} did not fall far below ${initial}`);
  } finally {
    model.dispose();
  }
});

test("resume from the epoch-2 checkpoint ends exactly where the uninterrupted 3-epoch run ends; tensor count constant", async () => {
  const straightDir = tmp();
  const resumedDir = tmp();
  const before = tf.memory().numTensors;
  const straight = new SlowFast(config, 7);
  const perStep: number[] = [];
  let baseline = -1;
  const r1 = await train(straight, memorySource(3, 4), memorySource(1, 4), {
    ...baseOptions(straightDir, 3),
    onStep: () => {
      if (baseline < 0) baseline = tf.memory().numTensors;
      perStep.push(tf.memory().numTensors - baseline);
    },
  });
  assert.equal(perStep.length, 9);
  assert.ok(perStep.every((d) => d === 0), `tensor count drifted across steps: ${perStep.join(",")}`);

  // The same 3-epoch run, killed after its epoch-2 checkpoint was written.
  const first = new SlowFast(config, 7);
  const killed = new Error("killed");
  const interrupted = train(first, memorySource(3, 4), memorySource(1, 4), {
    ...baseOptions(resumedDir, 3),
    onEpoch: (m) => {
      if (m.epoch === 2) throw killed;
    },
  });
  await assert.rejects(interrupted, (err) => err === killed);
  first.dispose();
  const resumed = new SlowFast(config, 99); // different init: everything must come from the checkpoint
  const lines: string[] = [];
  const r2 = await train(resumed, memorySource(3, 4), memorySource(1, 4), { ...baseOptions(resumedDir, 3), resume: true, log: (l) => lines.push(l) });
  assert.match(lines[0], /resumed from .*last\.ckpt: epoch 2\/3 done, step 6/);
  const m1 = await readMetrics(join(straightDir, "metrics.jsonl"));
  const m2 = await readMetrics(join(resumedDir, "metrics.jsonl"));
  assert.deepEqual(m2.map((m) => m.epoch), [1, 2, 3]);
  for (let e = 0; e < 3; e++) {
    assert.ok(Math.abs(m1[e].trainLoss - m2[e].trainLoss) < 1e-5, `epoch ${e + 1} train loss ${m1[e].trainLoss} vs resumed ${m2[e].trainLoss}`);
    assert.equal(m1[e].valTop1, m2[e].valTop1);
  }
  assert.equal(r1.bestEpoch, r2.bestEpoch);
  const clip = tf.randomNormal(straight.inputShape(2), 0, 1, "float32", 11) as tf.Tensor5D;
  const [a, b] = [straight.predict(clip), resumed.predict(clip)];
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
  assert.ok(diff < 1e-4, `final logits differ by ${diff}`);
  tf.dispose([clip, a, b]);
  straight.dispose();
  resumed.dispose();
  assert.ok(existsSync(join(resumedDir, "best.ckpt")));
  assert.equal(tf.memory().numTensors, before, "tensors left after training and disposing");
});

test("a NaN loss stops training with a clear message and leaves the weights untouched", async () => {
  const model = new SlowFast(config, 1);
  const before = model.params.entries.get("head.fc.weight")!.variable.dataSync().slice();
  try {
    await assert.rejects(
      train(model, memorySource(2, 4, { nan: true }), undefined, baseOptions(tmp(), 1)),
      (err: Error) => err instanceof NonFiniteLossError && /loss became NaN at epoch 1, step 1 .*Lower --lr/.test(err.message),
    );
    assert.deepEqual(model.params.entries.get("head.fc.weight")!.variable.dataSync(), before);
  } finally {
    model.dispose();
  }
});
