// The flat optimisers against the update rules written out per element in plain JS (PyTorch's
// AdamW and SGD), including the decay mask, gradient scaling, state round trip and tensor leaks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { DEFAULT_OPTIMIZER, MMACTION2_SGD, makeOptimizer, type OptimizerConfig } from "../src/train/optimizer";

const W0 = { w: [0.5, -0.25, 1.5, 2, -1, 0.75], b: [0.1, -0.2] }; // a [2,3] weight (decayed) and a [2] bias (not)
const GRADS = [
  { w: [0.3, -0.1, 0.2, 0.05, -0.4, 0.1], b: [0.2, 0.1] },
  { w: [-0.2, 0.3, 0.1, 0.0, 0.2, -0.3], b: [-0.1, 0.05] },
  { w: [0.1, 0.1, -0.1, 0.2, 0.0, 0.4], b: [0.3, -0.3] },
];

/** PyTorch's AdamW / SGD(momentum, weight_decay), element by element; `decay` per element. */
function reference(cfg: OptimizerConfig, lr: number, scale: number) {
  const w = [...W0.w, ...W0.b];
  const decay = [...W0.w.map(() => true), ...W0.b.map(() => cfg.kind === "sgd")];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  GRADS.forEach((gr, k) => {
    const t = k + 1;
    const g = [...gr.w, ...gr.b].map((x) => x * scale);
    for (let i = 0; i < w.length; i++) {
      if (cfg.kind === "sgd") {
        const gi = g[i] + cfg.weightDecay * w[i];
        m[i] = cfg.momentum * m[i] + gi;
        w[i] -= lr * m[i];
      } else {
        if (decay[i]) w[i] *= 1 - lr * cfg.weightDecay;
        m[i] = cfg.beta1 * m[i] + (1 - cfg.beta1) * g[i];
        v[i] = cfg.beta2 * v[i] + (1 - cfg.beta2) * g[i] ** 2;
        const denom = Math.sqrt(v[i]) / Math.sqrt(1 - cfg.beta2 ** t) + 1e-8;
        w[i] -= (lr / (1 - cfg.beta1 ** t)) * (m[i] / denom);
      }
    }
  });
  return w;
}

for (const cfg of [{ ...DEFAULT_OPTIMIZER, weightDecay: 0.1 }, MMACTION2_SGD]) {
  test(`${cfg.kind}: three flat updates equal the per-element rule (decay mask, gradient scale), no leaks`, () => {
    const weight = tf.variable(tf.tensor2d(W0.w, [2, 3]));
    const bias = tf.variable(tf.tensor1d(W0.b));
    const before = tf.memory().numTensors;
    const opt = makeOptimizer(cfg, [weight, bias]);
    opt.learningRate = 0.01;
    for (const g of GRADS) {
      const flat = tf.tidy(() => opt.flatten([tf.tensor2d(g.w, [2, 3]), tf.tensor1d(g.b)]));
      opt.update(flat, 0.5);
      flat.dispose();
    }
    const got = [...weight.dataSync(), ...bias.dataSync()];
    const want = reference(cfg, 0.01, 0.5);
    got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6, `element ${i}: ${x} vs ${want[i]}`));
    opt.dispose();
    assert.equal(tf.memory().numTensors, before, "the optimiser leaked tensors");
    tf.dispose([weight, bias]);
  });
}

test("adamw: state round trip; a resumed optimiser continues exactly; a foreign state is refused by name", () => {
  const run = (split: boolean) => {
    const weight = tf.variable(tf.tensor2d(W0.w, [2, 3]));
    const bias = tf.variable(tf.tensor1d(W0.b));
    let opt = makeOptimizer(DEFAULT_OPTIMIZER, [weight, bias]);
    GRADS.forEach((g, k) => {
      if (split && k === 1) {
        const state = opt.getWeights();
        opt.dispose();
        opt = makeOptimizer(DEFAULT_OPTIMIZER, [weight, bias]);
        opt.setWeights(state);
        tf.dispose(state.map((s) => s.tensor));
      }
      const flat = tf.tidy(() => opt.flatten([tf.tensor2d(g.w, [2, 3]), tf.tensor1d(g.b)]));
      opt.update(flat);
      flat.dispose();
    });
    const out = [...weight.dataSync(), ...bias.dataSync()];
    opt.dispose();
    tf.dispose([weight, bias]);
    return out;
  };
  assert.deepEqual(run(true), run(false));
  const v = tf.variable(tf.zeros([3]));
  const sgd = makeOptimizer(MMACTION2_SGD, [v]);
  const adam = makeOptimizer(DEFAULT_OPTIMIZER, [v]);
  const state = sgd.getWeights();
  assert.throws(() => adam.setWeights(state), /expects \[steps, first, second\]/);
  tf.dispose([v, ...state.map((s) => s.tensor)]);
  sgd.dispose();
  adam.dispose();
});

test("the learning rate set before an update is the one applied (a schedule really moves the weights)", () => {
  const v = tf.variable(tf.ones([4]));
  const opt = makeOptimizer({ ...MMACTION2_SGD, momentum: 0, weightDecay: 0 }, [v]);
  const g = tf.ones([4]) as tf.Tensor1D;
  opt.learningRate = 0;
  opt.update(g);
  assert.deepEqual([...v.dataSync()], [1, 1, 1, 1]);
  opt.learningRate = 0.25;
  opt.update(g);
  assert.deepEqual([...v.dataSync()], [0.75, 0.75, 0.75, 0.75]);
  tf.dispose([v, g]);
  opt.dispose();
});

test("a weight assigned from outside between updates (a checkpoint load) is the one the next update starts from", () => {
  const v = tf.variable(tf.ones([2, 2]));
  const opt = makeOptimizer({ ...MMACTION2_SGD, momentum: 0, weightDecay: 0 }, [v]);
  opt.learningRate = 0.5;
  const g = tf.ones([4]) as tf.Tensor1D;
  opt.update(g); // 1 - 0.5 = 0.5; the optimiser now keeps a flat copy of [0.5, 0.5, 0.5, 0.5]
  tf.tidy(() => v.assign(tf.fill([2, 2], 3)));
  opt.update(g);
  assert.deepEqual([...v.dataSync()], [2.5, 2.5, 2.5, 2.5]);
  tf.dispose([v, g]);
  opt.dispose();
});

test("updates called inside a caller's tf.tidy keep working (the optimiser's state outlives the scope)", () => {
  const v = tf.variable(tf.ones([3]));
  const opt = makeOptimizer(DEFAULT_OPTIMIZER, [v]);
  for (let i = 0; i < 3; i++) tf.tidy(() => opt.update(tf.ones([3]) as tf.Tensor1D));
  assert.ok([...v.dataSync()].every((x) => x < 1), "three updates moved the weights down");
  tf.dispose(v);
  opt.dispose();
});
