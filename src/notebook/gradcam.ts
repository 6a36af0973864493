// Grad-CAM (Selvaraju et al., ICCV 2017) over time and space, per pathway: where in a clip a class
// score comes from. For one pathway, with A its last feature map (res5 output):
//   A     res5 output                                   [1, T, H, W, C]
//   g     d logit_c / d A                               [1, T, H, W, C]
//   w     mean of g over T, H, W: one weight a channel  [C]
//   cam   ReLU(sum_k w_k A_k)                           [T, H, W]
// SlowFast's head is a global average pool and an fc, so g is the same at every (t, h, w):
// g_k = fc.weight[row of k, c] / (T H W). Grad-CAM of the last feature map is CAM (Zhou et al.,
// CVPR 2016) divided by T H W; notebook 11 checks both against tf.grads.
import { tf } from "../backend";
import type { SlowFast } from "../model";
import type { ConcatOrder } from "../model/head";

export type PathwayName = "slow" | "fast";

export interface PathwayGradients {
  /** res5 output A [1, T, H, W, C]. */
  features: tf.Tensor5D;
  /** d logit_c / d A, same shape. */
  grads: tf.Tensor5D;
}

export interface ClassGradients {
  /** Eval-mode logits [1, K]. */
  logits: tf.Tensor2D;
  slow: PathwayGradients | null;
  fast: PathwayGradients | null;
}

/**
 * Eval-mode forward of one clip [1, frames, size, size, 3] (normalised, NDHWC), then the gradient
 * of class `classIndex`'s logit with respect to each pathway's res5 output. The caller disposes
 * everything returned (disposeGradients).
 */
export function res5Gradients(model: SlowFast, clip: tf.Tensor5D, classIndex: number): ClassGradients {
  const k = model.config.numClasses;
  if (clip.shape[0] !== 1) throw new Error(`Grad-CAM: expected a batch of one clip [1, ${model.config.frames}, ${model.config.size}, ${model.config.size}, 3], got [${clip.shape.join(", ")}]`);
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= k) throw new Error(`Grad-CAM: class index must be an integer in 0..${k - 1}, got ${classIndex}`);
  const { logits, stages } = model.forward(clip, { intermediates: true });
  const res5 = stages.find((s) => s.name === "res5");
  if (!res5) throw new Error("Grad-CAM: the forward pass returned no res5 stage");
  const keep = new Set<tf.Tensor>([logits, ...[res5.slow, res5.fast].filter((t): t is tf.Tensor5D => t !== null)]);
  // A stage a pathway skips (a fuse step for the fast one) repeats the previous tensor: free each once.
  const others = new Set(stages.flatMap((s) => [s.slow, s.fast]).filter((t): t is tf.Tensor5D => t !== null && !keep.has(t)));
  tf.dispose([...others]);
  const inputs = [res5.slow, res5.fast].filter((t): t is tf.Tensor5D => t !== null);
  const score = (...xs: tf.Tensor[]) => {
    let i = 0;
    const slow = res5.slow ? (xs[i++] as tf.Tensor5D) : null;
    const fast = res5.fast ? (xs[i++] as tf.Tensor5D) : null;
    return model.head.apply(slow, fast, false).slice([0, classIndex], [1, 1]).sum();
  };
  const grads = tf.grads(score)(inputs) as tf.Tensor5D[];
  let i = 0;
  return {
    logits,
    slow: res5.slow ? { features: res5.slow, grads: grads[i++] } : null,
    fast: res5.fast ? { features: res5.fast, grads: grads[i++] } : null,
  };
}

export function disposeGradients(g: ClassGradients): void {
  tf.dispose([g.logits, ...[g.slow, g.fast].flatMap((p) => (p ? [p.features, p.grads] : []))]);
}

/** Grad-CAM of one pathway (exercise 11.1's answer): features, grads [1, T, H, W, C] -> [T, H, W]. */
export function gradCam(features: tf.Tensor5D, grads: tf.Tensor5D): tf.Tensor3D {
  return tf.tidy(() => {
    const weights = tf.mean(grads, [0, 1, 2, 3]); // [C]
    return tf.relu(tf.sum(tf.mul(features, weights), 4)).squeeze([0]) as tf.Tensor3D; // [1,T,H,W] -> [T,H,W]
  });
}

/**
 * The Grad-CAM channel weights read from the fc instead of a backward pass (exercise 11.2's
 * answer): fcWeight [C_fast + C_slow, K] in the head's concat order (mmaction2: fast first), the
 * rows of `pathway`'s channels in column `classIndex`, divided by the positions T*H*W that the
 * average pool spreads each weight over. -> [C of that pathway].
 */
export function fcCamWeights(fcWeight: tf.Tensor2D, classIndex: number, pathway: PathwayName, fastChannels: number, positions: number, order: ConcatOrder = "fast_slow"): tf.Tensor1D {
  const total = fcWeight.shape[0];
  const slowChannels = total - fastChannels;
  const fastFirst = order === "fast_slow";
  const start = pathway === "fast" ? (fastFirst ? 0 : slowChannels) : fastFirst ? fastChannels : 0;
  const rows = pathway === "fast" ? fastChannels : slowChannels;
  return tf.tidy(() => fcWeight.slice([start, classIndex], [rows, 1]).reshape([rows]).div(positions) as tf.Tensor1D);
}

/**
 * A CAM [T, h, w] brought to the frames it covers: [T, size, size], bilinear in space (as Grad-CAM
 * draws it; tf.image.resizeBilinear, half-pixel centres). Time is left as it is: entry t belongs to
 * the pathway's t-th sampled frame.
 */
export function upsampleCam(cam: tf.Tensor3D, size: number): tf.Tensor3D {
  return tf.tidy(() => tf.image.resizeBilinear(cam.expandDims(3) as tf.Tensor4D, [size, size], false, true).squeeze([3]) as tf.Tensor3D);
}

/**
 * A pathway's share of the class logit: sum over (T, H, W) of sum_k w_k A_k, the CAM before its
 * ReLU. With the pool-and-fc head, logit_c = share(slow) + share(fast) + fc.bias[c] exactly.
 */
export function logitShare(features: tf.Tensor5D, grads: tf.Tensor5D): number {
  return tf.tidy(() => tf.sum(tf.mul(features, tf.mean(grads, [0, 1, 2, 3]))).dataSync()[0]);
}
