// Each fast path of the layers against its plain reference: the folded convolutions against
// conv3d with explicit PyTorch padding, the hand-written batch-norm gradient against autodiff, the
// native fused batch norm against the tensor-op one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { batchNormTrain, batchNormTrainFused, BatchNorm, conv3dFolded, conv3dTorch, ParamStore, type Triple } from "../src/model";
import { nativeKernels } from "../src/model/layers/native_kernels";
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

const NATIVE_ONLY = nativeKernels() ? false : "TF's fused kernels exist on the native backend only";

test("batch norm on TF's fused kernels equals the tensor-op form: output, gradients, running statistics", { skip: NATIVE_ONLY }, () => {
  const kernels = nativeKernels()!;
  const store = new ParamStore(0);
  const running = { mean: store.add("m", tf.randomNormal([5], 0, 1, "float32", 7), false), variance: store.add("v", tf.randomUniform([5], 0.5, 2, "float32", 8), false), momentum: 0.1 };
  const [mean0, var0] = [running.mean.clone(), running.variance.clone()];
  assertNoLeak("fused batch norm", () =>
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4, 4, 5], 2, 3, "float32", 3);
      const gamma = tf.randomNormal([5], 1, 0.5, "float32", 4) as tf.Tensor1D;
      const beta = tf.randomNormal([5], 0, 1, "float32", 5) as tf.Tensor1D;
      const weights = tf.randomNormal(x.shape, 0, 1, "float32", 6);
      const fused = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTrainFused(kernels, a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5, running), weights));
      const plain = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5), weights));
      const got = tf.grads(fused)([x, gamma, beta]);
      const ref = tf.grads(plain)([x, gamma, beta]);
      ["x", "gamma", "beta"].forEach((name, i) => assert.ok(relMaxDiff(got[i], ref[i]) < 1e-5, `d${name} differs by ${relMaxDiff(got[i], ref[i])}`));
      running.mean.assign(mean0);
      running.variance.assign(var0);
      const y = batchNormTrainFused(kernels, x, gamma, beta, 1e-5, running);
      assert.ok(relMaxDiff(y, batchNormTrain(x, gamma, beta, 1e-5)) < 1e-5);
      // PyTorch's rule: running = 0.9 running + 0.1 batch, the batch variance unbiased.
      const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
      const m = x.size / 5;
      assert.ok(relMaxDiff(running.mean, tf.add(tf.mul(mean0, 0.9), tf.mul(mean, 0.1))) < 1e-5, "running mean");
      assert.ok(relMaxDiff(running.variance, tf.add(tf.mul(var0, 0.9), tf.mul(variance, (0.1 * m) / (m - 1)))) < 1e-5, "running variance");
    }),
  );
  tf.dispose([mean0, var0]);
  store.dispose();
});

test("batch norm keeps its precision when the mean is large against the spread (both forms)", () => {
  // Channel values 1000 + 0.01 * noise: a plain float32 mean leaves xhat off by ~3e-3 here.
  const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([8, 4, 6, 6, 3], 0, 1, "float32", 11), 0.01), 1000));
  const data = Array.from(x.dataSync());
  const m = data.length / 3;
  const mean = [0, 1, 2].map((c) => data.reduce((a, v, i) => (i % 3 === c ? a + v / m : a), 0));
  const sd = [0, 1, 2].map((c) => Math.sqrt(data.reduce((a, v, i) => (i % 3 === c ? a + (v - mean[c]) ** 2 / m : a), 0) + 1e-5));
  const truth = tf.tensor(Float32Array.from(data, (v, i) => (v - mean[i % 3]) / sd[i % 3]), x.shape);
  const gamma = tf.ones([3]) as tf.Tensor1D;
  const beta = tf.zeros([3]) as tf.Tensor1D;
  const forms: [string, () => tf.Tensor][] = [["tensor ops", () => batchNormTrain(x, gamma, beta, 1e-5)]];
  const kernels = nativeKernels();
  const store = new ParamStore(0);
  if (kernels) {
    const running = { mean: store.add("m", tf.zeros([3]), false), variance: store.add("v", tf.ones([3]), false), momentum: 0.1 };
    forms.push(["fused kernels", () => batchNormTrainFused(kernels, x, gamma, beta, 1e-5, running)]);
  }
  for (const [name, form] of forms) {
    const err = tf.tidy(() => relMaxDiff(form(), truth));
    assert.ok(err < 1e-5, `${name}: normalised output off by ${err} relative`);
  }
  tf.dispose([x, truth, gamma, beta]);
  store.dispose();
});
