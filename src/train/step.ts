// One optimisation step: forward in training mode, loss, gradients of every trainable variable,
// weight decay added to the gradients (PyTorch SGD's convention), clipping by global norm
// (mmaction2: max_norm 40), optimizer update. A non-finite loss skips the update, so the weights
// stay as they were and the caller can stop with a clear message.
import { tf } from "../backend";
import type { SlowFast } from "../model";
import { crossEntropy } from "./loss";

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
  /** L2 weight decay added to every gradient: g += weightDecay * w. */
  weightDecay?: number;
  dropoutSeed?: number;
}

/**
 * clips: [N, T, H, W, 3] normalised NDHWC; labels: [N] int32.
 * Every tensor created here is released before returning (tested: numTensors unchanged).
 */
export function trainStep(model: SlowFast, optimizer: tf.Optimizer, clips: tf.Tensor5D, labels: tf.Tensor1D, options: StepOptions = {}): StepResult {
  let correct = 0;
  const variables = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => {
    const { logits } = model.forward(clips, { training: true, dropoutSeed: options.dropoutSeed });
    correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "int32")).dataSync()[0]);
    return crossEntropy(logits, labels);
  }, variables);
  const loss = value.dataSync()[0];
  if (!Number.isFinite(loss)) {
    tf.dispose([value, ...Object.values(grads)]);
    return { loss, correct, gradNorm: NaN };
  }
  const decay = options.weightDecay ?? 0;
  if (decay > 0) {
    for (const v of variables) {
      const decayed = tf.tidy(() => tf.add(grads[v.name], tf.mul(v, decay)));
      grads[v.name].dispose();
      grads[v.name] = decayed;
    }
  }
  const gradNorm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
  if (options.clipNorm !== undefined && gradNorm > options.clipNorm) {
    const scale = options.clipNorm / (gradNorm + 1e-6);
    for (const name of Object.keys(grads)) {
      const scaled = tf.mul(grads[name], scale);
      grads[name].dispose();
      grads[name] = scaled;
    }
  }
  optimizer.applyGradients(grads);
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, correct, gradNorm };
}
