// One optimisation step, in PyTorch's and mmaction2's order: forward in training mode, loss,
// gradients of every trainable variable, clip the RAW gradients' global L2 norm (mmaction2:
// max_norm 40), then the optimiser update, which applies the weight decay itself (optimizer.ts).
// A non-finite loss skips the update, so the weights stay as they were and the caller can stop
// with a clear message.
import { tf } from "../backend";
import type { SlowFast } from "../model";
import { crossEntropy } from "./loss";
import type { FlatOptimizer } from "./optimizer";

export interface StepResult {
  loss: number;
  /** Correct top-1 predictions in the batch (under training-mode BN and dropout). */
  correct: number;
  /** Global L2 norm of the gradients before clipping. */
  gradNorm: number;
}

export interface StepOptions {
  /** Clip the gradients' global L2 norm to this value; none when undefined. */
  clipNorm?: number;
  dropoutSeed?: number;
}

/**
 * clips: [N, T, H, W, 3] normalised NDHWC; labels: [N] int32. `optimizer` must have been made over
 * model.trainableVariables() (makeOptimizer). Every tensor created here is released before
 * returning (tested: after the first step, which makes the optimiser's state, numTensors stays put).
 */
export function trainStep(model: SlowFast, optimizer: FlatOptimizer, clips: tf.Tensor5D, labels: tf.Tensor1D, options: StepOptions = {}): StepResult {
  let correct = 0;
  const variables = optimizer.params.map((p) => p.variable);
  const { value, grads } = tf.variableGrads(() => {
    const { logits } = model.forward(clips, { training: true, dropoutSeed: options.dropoutSeed });
    correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "int32")).dataSync()[0]);
    return crossEntropy(logits, labels);
  }, variables);
  try {
    const loss = value.dataSync()[0];
    if (!Number.isFinite(loss)) return { loss, correct, gradNorm: NaN };
    const flat = optimizer.flatten(variables.map((v) => grads[v.name])); // [P]
    try {
      // sqrt(sum(g^2)), not tf.norm: tf.norm runs a Pow kernel over all P values (~5 ms here).
      const gradNorm = tf.tidy(() => tf.sqrt(tf.sum(tf.square(flat))).dataSync()[0]);
      // PyTorch's clip_grad_norm_: scale by max_norm / (norm + 1e-6) when the norm exceeds max_norm.
      const scale = options.clipNorm !== undefined && gradNorm > options.clipNorm ? options.clipNorm / (gradNorm + 1e-6) : 1;
      optimizer.update(flat, scale);
      return { loss, correct, gradNorm };
    } finally {
      flat.dispose();
    }
  } finally {
    tf.dispose([value, ...Object.values(grads)]);
  }
}
