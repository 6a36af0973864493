// The stem's max pool pads like PyTorch's MaxPool3d (with -Infinity), so it is right for any input,
// not only for the non-negative output of the ReLU before it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { tf } from "../src/backend";
import { StemMaxPool } from "../src/model/stem";
import { assertNoLeak } from "./helpers";

test("stem max pool: negative inputs give PyTorch's maxima (padding never wins)", () => {
  assertNoLeak("stem max pool", () =>
    tf.tidy(() => {
      // Odd H and W: there TF's "same" pooling pads one on each side, as PyTorch's padding 1 does,
      // and TF's pooling never lets padding win, so it is the reference.
      const x = tf.sub(tf.randomUniform([2, 3, 7, 9, 4], 0, 1, "float32", 3), 5) as tf.Tensor5D; // all < 0
      const got = new StemMaxPool().apply(x);
      const ref = tf.maxPool(x.reshape([6, 7, 9, 4]) as tf.Tensor4D, 3, 2, "same").reshape(got.shape);
      assert.deepEqual(got.shape, [2, 3, 4, 5, 4]);
      assert.equal(tf.max(tf.abs(tf.sub(got, ref))).dataSync()[0], 0);
      // and the gradient reaches only real inputs
      const g = tf.grad((v: tf.Tensor) => tf.sum(new StemMaxPool().apply(v as tf.Tensor5D)))(x);
      assert.ok(g.dataSync().every(Number.isFinite));
    }),
  );
});
