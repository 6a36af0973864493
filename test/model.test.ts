// The assembled model on the small test preset: shapes, errors, gradients, learning, no leaks.
// Small enough to pass under the forced pure-JS backend too (npm run test:js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { frameIndices, PRESET_NAMES, presetConfig, ShapeError, SlowFast, type SlowFastConfig } from "../src/model";
import { MMACTION2_SGD, makeOptimizer } from "../src/train/optimizer";
import { trainStep } from "../src/train/step";
import { assertNoLeak } from "./helpers";

const small = (overrides: Partial<SlowFastConfig> = {}) => presetConfig("slowfast_test", overrides);

function fixedBatch(model: SlowFast, n: number) {
  const clips = tf.randomNormal(model.inputShape(n), 0, 1, "float32", 7) as tf.Tensor5D;
  const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => i % model.config.numClasses), "int32");
  return { clips, labels };
}

test("temporal sampling: mmaction2's nearest vs PySlowFast's linspace", () => {
  assert.deepEqual(frameIndices(32, 8, 8, "nearest"), { slow: [0, 8, 16, 24], fast: Array.from({ length: 32 }, (_, i) => i) });
  assert.deepEqual(frameIndices(32, 8, 8, "linspace").slow, [0, 10, 20, 31]);
  assert.deepEqual(frameIndices(32, 4, 4, "nearest").slow, [0, 4, 8, 12, 16, 20, 24, 28]);
  assert.deepEqual(frameIndices(32, 8, 4, "nearest").fast, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]);
});

test("forward: logits and every intermediate match the plan, and nothing leaks", () => {
  const model = new SlowFast(small());
  const { clips, labels } = fixedBatch(model, 2);
  const { logits, stages } = model.forward(clips, { intermediates: true });
  const plan = model.plan(2);
  assert.deepEqual(logits.shape, [2, 5]);
  assert.deepEqual(stages.map((s) => s.name), plan.slice(0, -1).map((p) => p.name));
  stages.forEach((s, i) => {
    assert.deepEqual(s.slow?.shape, plan[i].slow);
    assert.deepEqual(s.fast?.shape, plan[i].fast);
  });
  tf.dispose([logits, ...stages.flatMap((s) => [s.slow, s.fast]).filter((t): t is tf.Tensor5D => t !== null)]);
  assertNoLeak("eval forward", () => model.predict(clips).dispose());
  assertNoLeak("training forward", () => model.forward(clips, { training: true }).logits.dispose());
  tf.dispose([clips, labels]);
  model.dispose();
});

for (const kind of ["time_strided_conv", "time_to_channel", "time_strided_sample"] as const) {
  test(`lateral variant ${kind}: fused slow channels grow by the lateral's channels`, () => {
    const model = new SlowFast(small({ lateral: { kind, kernelT: 5 } }));
    const plan = model.plan(1);
    const at = (name: string) => plan.find((p) => p.name === name)!;
    const fastC = at("maxpool").fast![4];
    const expected = { time_strided_conv: 2 * fastC, time_to_channel: 4 * fastC, time_strided_sample: fastC }[kind];
    assert.equal(at("fuse_conv1").slow![4] - at("maxpool").slow![4], expected);
    const clip = tf.randomNormal(model.inputShape(1)) as tf.Tensor5D;
    assertNoLeak(`forward with ${kind}`, () => model.predict(clip).dispose());
    clip.dispose();
    model.dispose();
  });
}

test("slow-only and fast-only ablations drop the other pathway and the laterals", () => {
  for (const pathways of ["slow_only", "fast_only"] as const) {
    const model = new SlowFast(small({ pathways }));
    const counts = model.paramCounts();
    assert.equal(counts.laterals, 0);
    assert.equal(pathways === "slow_only" ? counts.fast : counts.slow, 0);
    const clip = tf.randomNormal(model.inputShape(2)) as tf.Tensor5D;
    const logits = model.predict(clip);
    assert.deepEqual(logits.shape, [2, 5]);
    tf.dispose([clip, logits]);
    model.dispose();
  }
});

test("a wrong input shape names the stage, the expected and the actual shape", () => {
  const model = new SlowFast(small());
  const bad = tf.zeros([1, 7, 32, 32, 3]) as tf.Tensor5D;
  assert.throws(() => model.predict(bad), (err: unknown) => {
    assert.ok(err instanceof ShapeError);
    assert.match(err.message, /input .*expected \[1, 8, 32, 32, 3\].*got \[1, 7, 32, 32, 3\]/);
    return true;
  });
  const ncthw = tf.zeros([1, 3, 8, 32, 32]) as tf.Tensor5D;
  assert.throws(() => model.predict(ncthw), /NDHWC/);
  tf.dispose([bad, ncthw]);
  model.dispose();
});

test("bad configs say what is wrong and list the valid options", () => {
  assert.throws(() => presetConfig("slowfast_r51"), new RegExp(`unknown preset "slowfast_r51"; valid presets: ${PRESET_NAMES.join(", ")}`));
  assert.throws(() => small({ frames: 10 }), /frames \(10\) must be a multiple of tau \(4\)/);
  assert.throws(() => small({ alpha: 3 }), /alpha \(3\) must divide tau \(4\).*valid alpha: 1, 2, 4/);
  assert.throws(() => small({ betaInv: 3 }), /betaInv \(3\) must divide width \(8\)/);
  assert.throws(() => small({ stageBlocks: [1, 1, 1] }), /4 stages/);
  assert.throws(() => small({ lateral: { kind: "sum" as never, kernelT: 5 } }), /lateral.kind must be one of time_strided_conv, time_to_channel, time_strided_sample/);
});

test("a gradient reaches every trainable variable", () => {
  // zero_init_residual makes each block's residual branch start at 0, which blocks the gradient of
  // the convs inside it at step 0 (by design); without it, every variable must get a gradient.
  const model = new SlowFast(small({ zeroInitResidual: false, dropout: 0 }));
  const { clips, labels } = fixedBatch(model, 2);
  const names = new Map([...model.params.entries].map(([name, e]) => [e.variable.name, name]));
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 5), model.forward(clips, { training: true }).logits) as tf.Scalar, model.trainableVariables());
  const dead = model.trainableVariables().filter((v) => !grads[v.name] || tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0]) === 0);
  assert.deepEqual(dead.map((v) => names.get(v.name)), []);
  tf.dispose([value, clips, labels, ...Object.values(grads)]);
  model.dispose();
});

test("a few SGD steps on one fixed batch drive the loss down, with no tensor leaks", () => {
  const model = new SlowFast(small({ dropout: 0 }), 1);
  const { clips, labels } = fixedBatch(model, 4);
  const optimizer = makeOptimizer({ ...MMACTION2_SGD, weightDecay: 0 }, model.trainableVariables());
  // The first step makes the optimiser's flat copy of the weights (its state, like the moments);
  // after it, a step adds no tensor.
  const losses = [trainStep(model, optimizer, clips, labels, { clipNorm: 40 }).loss];
  const before = tf.memory().numTensors;
  for (let i = 1; i < 8; i++) losses.push(trainStep(model, optimizer, clips, labels, { clipNorm: 40 }).loss);
  assert.equal(tf.memory().numTensors, before, "training steps leaked tensors");
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses[losses.length - 1] < 0.5 * losses[0], `loss went ${losses.map((l) => l.toFixed(3)).join(" -> ")}`);
  tf.dispose([clips, labels]);
  optimizer.dispose();
  model.dispose();
});

test("the same seed builds the same weights", () => {
  const a = new SlowFast(small(), 3);
  const b = new SlowFast(small(), 3);
  const c = new SlowFast(small(), 4);
  const w = (m: SlowFast) => m.params.entries.get("slow.conv1.conv.weight")!.variable.dataSync().slice(0, 8).join();
  assert.equal(w(a), w(b));
  assert.notEqual(w(a), w(c));
  [a, b, c].forEach((m) => m.dispose());
});

test("every step's apply() is safe outside tf.tidy: it adds exactly its output tensor", () => {
  const model = new SlowFast(small());
  try {
    const plan = model.plan(2);
    model.steps.forEach((step, i) => {
      const before = plan[i];
      const check = (what: string, run: () => tf.Tensor) => {
        const n = tf.memory().numTensors;
        const out = run();
        assert.equal(tf.memory().numTensors, n + 1, `${step.name} ${what}: left ${tf.memory().numTensors - n - 1} intermediate tensor(s)`);
        out.dispose();
      };
      if (step.kind === "map") {
        for (const [side, layer, shape] of [["slow", step.slow, before.slow], ["fast", step.fast, before.fast]] as const) {
          if (!layer || !shape) continue;
          const x = tf.randomNormal([...shape], 0, 1, "float32", 2) as tf.Tensor5D;
          check(`${side} (training)`, () => layer.apply(x, true));
          check(`${side} (eval)`, () => layer.apply(x, false));
          x.dispose();
        }
      } else {
        const x = tf.randomNormal([...before.fast!], 0, 1, "float32", 2) as tf.Tensor5D;
        check("lateral", () => step.lateral.apply(x));
        x.dispose();
      }
    });
  } finally {
    model.dispose();
  }
});
