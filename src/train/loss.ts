// Softmax cross-entropy on logits [N, K] and integer labels [N].
import { tf } from "../backend";

/** Mean cross-entropy, a scalar tensor. labels: [N] int32 in [0, K). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1]), logits) as tf.Scalar);
}
