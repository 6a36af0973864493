// Softmax cross-entropy and top-1 accuracy on logits [N, K] and integer labels [N].
import { tf } from "../backend";

/** Mean cross-entropy, a scalar tensor. labels: [N] int32 in [0, K). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1]), logits) as tf.Scalar);
}

/** Fraction of rows whose arg-max equals the label. */
export function top1Accuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "float32")).dataSync()[0]);
}
