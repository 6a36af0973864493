// Shared test helpers.
import assert from "node:assert/strict";
import { tf } from "../src/backend";

/** Runs fn and asserts that it left no tensor behind. */
export function assertNoLeak<T>(what: string, fn: () => T): T {
  const before = tf.memory().numTensors;
  const out = fn();
  assert.equal(tf.memory().numTensors, before, `${what} leaked ${tf.memory().numTensors - before} tensor(s)`);
  return out;
}

/** Largest absolute difference between two tensors of the same shape, relative to b's largest magnitude. */
export function relMaxDiff(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => {
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    const scale = Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-12);
    return diff / scale;
  });
}

export const isNative = () => tf.getBackend() === "tensorflow";
