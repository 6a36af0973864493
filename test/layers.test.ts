// Each fast path of the layers against its plain reference: the folded convolutions against
// conv3d with explicit PyTorch padding, the hand-written batch-norm gradient against autodiff.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { batchNormTrain, BatchNorm, conv3dFolded, conv3dTorch, ParamStore, type Triple } from "../src/model";
import { assertNoLeak, relMaxDiff } from "./helpers";

const CASES: { what: string; kernel: Triple; stride: Triple; pad: Triple; input?: number[] }[] = [
  { what: "spatial (1,3,3) stride 1 -> conv2d over N*T", kernel: [1, 3, 3], stride: [1, 1, 1], pad: [0, 1, 1] },
  { what: "spatial (1,3,3) stride 2 -> conv2d, explicit pad", kernel: [1, 3, 3], stride: [1, 2, 2], pad: [0, 1, 1] },
  { what: "stem (1,7,7) stride 2", kernel: [1, 7, 7], stride: [1, 2, 2], pad: [0, 3, 3] },
  { what: "temporal (3,1,1) -> conv2d over H*W", kernel: [3, 1, 1], stride: [1, 1, 1], pad: [1, 0, 0] },
  { what: "lateral (5,1,1) stride (4,1,1)", kernel: [5, 1, 1], stride: [4, 1, 1], pad: [2, 0, 0] },
  { what: "1x1x1 stride 1 -> matMul", kernel: [1, 1, 1], stride: [1, 1, 1], pad: [0, 0, 0] },
  { what: "1x1x1 stride (1,2,2) -> subsample + matMul", kernel: [1, 1, 1], stride: [1, 2, 2], pad: [0, 0, 0] },
  { what: "1x1x1 stride (2,2,2), odd sizes -> padded subsample + matMul", kernel: [1, 1, 1], stride: [2, 2, 2], pad: [0, 0, 0], input: [2, 7, 9, 10, 3] },
  { what: "full (3,3,3) -> conv3d", kernel: [3, 3, 3], stride: [1, 2, 2], pad: [1, 1, 1] },
];

for (const c of CASES) {
  test(`conv3dFolded matches conv3d forward and gradients: ${c.what}`, () => {
    assertNoLeak("conv parity", () =>
      tf.tidy(() => {
        const x = tf.randomNormal((c.input ?? [2, 8, 10, 10, 3]) as [number, number, number, number, number], 0, 1, "float32", 1) as tf.Tensor5D;
        const w = tf.randomNormal([...c.kernel, 3, 4], 0, 1, "float32", 2) as tf.Tensor5D;
        const lossOf = (conv: typeof conv3dTorch) => (xx: tf.Tensor, ww: tf.Tensor) => {
          const y = conv(xx as tf.Tensor5D, ww as tf.Tensor5D, c.stride, c.pad);
          return tf.sum(tf.mul(y, tf.sin(tf.range(0, y.size).reshape(y.shape)))); // position-dependent weights
        };
        const ref = conv3dTorch(x, w, c.stride, c.pad);
        const got = conv3dFolded(x, w, c.stride, c.pad);
        assert.ok(relMaxDiff(got, ref) < 1e-5, `forward differs by ${relMaxDiff(got, ref)}`);
        const [gxRef, gwRef] = tf.grads(lossOf(conv3dTorch))([x, w]);
        const [gx, gw] = tf.grads(lossOf(conv3dFolded))([x, w]);
        assert.ok(relMaxDiff(gx, gxRef) < 1e-5, `input gradient differs by ${relMaxDiff(gx, gxRef)}`);
        assert.ok(relMaxDiff(gw, gwRef) < 1e-5, `filter gradient differs by ${relMaxDiff(gw, gwRef)}`);
      }),
    );
  });
}

test("strided convs pad symmetrically like PyTorch (not TF's 0-before/1-after 'same')", () => {
  tf.tidy(() => {
    // A 4-pixel row [1,2,3,4] with a 3-tap sum kernel, stride 2, pad 1: windows [0,1,2], [2,3,4].
    const x = tf.tensor([1, 2, 3, 4]).reshape([1, 1, 1, 4, 1]) as tf.Tensor5D;
    const w = tf.ones([1, 1, 3, 1, 1]) as tf.Tensor5D;
    assert.deepEqual(Array.from(conv3dFolded(x, w, [1, 1, 2], [0, 0, 1]).dataSync()), [3, 9]);
  });
});

function batchNormAutodiff(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

test("batch norm's hand-written gradient equals autodiff", () => {
  assertNoLeak("batch norm parity", () =>
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4, 4, 5], 2, 3, "float32", 3);
      const gamma = tf.randomNormal([5], 1, 0.5, "float32", 4);
      const beta = tf.randomNormal([5], 0, 1, "float32", 5);
      const weights = tf.randomNormal(x.shape, 0, 1, "float32", 6);
      const loss = (f: typeof batchNormAutodiff) => (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b, 1e-5), weights));
      const ours = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number) => batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, eps);
      assert.ok(relMaxDiff(ours(x, gamma, beta, 1e-5), batchNormAutodiff(x, gamma, beta, 1e-5)) < 1e-5);
      const ref = tf.grads(loss(batchNormAutodiff))([x, gamma, beta]);
      const got = tf.grads(loss(ours))([x, gamma, beta]);
      ["x", "gamma", "beta"].forEach((name, i) => {
        assert.ok(relMaxDiff(got[i], ref[i]) < 1e-4, `d${name} differs by ${relMaxDiff(got[i], ref[i])}`);
      });
    }),
  );
});

test("batch norm updates running statistics in training mode and uses them in eval mode", () => {
  const store = new ParamStore(0);
  const bn = new BatchNorm(store.scope("bn"), 2, { eps: 1e-5, momentum: 0.1 });
  // Channel 0 holds 1..8, channel 1 holds 10 everywhere: [1, 2, 2, 2, 2].
  const x = tf.tensor5d([1, 10, 2, 10, 3, 10, 4, 10, 5, 10, 6, 10, 7, 10, 8, 10], [1, 2, 2, 2, 2]);
  assertNoLeak("batch norm training call", () => tf.tidy(() => {
    bn.apply(x, true);
  }));
  // mean 4.5 -> 0.45; unbiased variance of 1..8 = 6 -> 0.9 * 1 + 0.1 * 6 = 1.5 (PyTorch's rule).
  const mean = bn.runningMean.dataSync();
  const variance = bn.runningVar.dataSync();
  assert.ok(Math.abs(mean[0] - 0.45) < 1e-6 && Math.abs(mean[1] - 1.0) < 1e-6, `running mean ${mean}`);
  assert.ok(Math.abs(variance[0] - 1.5) < 1e-5 && Math.abs(variance[1] - 0.9) < 1e-6, `running var ${variance}`);
  const evalOut = tf.tidy(() => Array.from(bn.apply(x, false).dataSync()));
  assert.ok(Math.abs(evalOut[0] - (1 - 0.45) / Math.sqrt(1.5 + 1e-5)) < 1e-5);
  x.dispose();
  store.dispose();
});
