// Batch normalisation over [N, T, H, W] per channel, for NDHWC tensors (tf.layers.batchNormalization
// fails on rank 5). Training mode normalises with the batch statistics and updates the running ones
// (PyTorch's convention: unbiased variance, running = (1 - momentum) * running + momentum * batch);
// eval mode uses the running statistics.
//
// Training mode has two implementations with the same results (test/layers.test.ts compares them
// with autodiff and each other; test/parity.test.ts with mmaction2's real code):
//   native backend  TF's fused kernels (native_kernels.ts): one kernel forward, one backward.
//   pure JS         tensor ops with a hand-written gradient (tf.customGrad): autodiff through
//                   mean/variance would cost ~1,700 extra kernels per training step.
// Both normalise data shifted by its first sample: a float32 sum of values whose mean is large
// against their spread loses the spread (at 1e-7 relative rounding, a mean 1e4 x the standard
// deviation leaves xhat off by 1e-3), and TF's fused kernel sums plainly too. The shift changes
// neither the output nor the gradient (batch norm is shift-invariant), only the rounding.
import { tf } from "../../backend";
import type { ParamScope } from "../params";
import { nativeKernels, type NativeKernels } from "./native_kernels";

export interface BatchNormOptions {
  eps: number;
  momentum: number;
  /** gamma starts at 0 (zero_init_residual: the last BN of a residual block). */
  zeroInit?: boolean;
}

/** The statistics of the last training-mode call, for the running-average update. */
interface BatchStats {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch norm with an analytic gradient. x: [..., C]; gamma, beta: [C].
 * Backward, with m = elements per channel and xhat the normalised input:
 *   dbeta = sum(dy), dgamma = sum(dy * xhat), dx = gamma * invstd / m * (m * dy - dbeta - xhat * dgamma).
 * `onStats` receives the batch mean and (biased) variance; they live in the caller's tidy scope.
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, onStats?: (s: BatchStats) => void): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const m = x.size / x.shape[x.rank - 1];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, g, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    // Shifted data (see the top of this file): the mean is taken of x - x[0, ..., 0, c].
    const shift = tf.slice(input, input.shape.map(() => 0), [...axes.map(() => 1), input.shape[input.rank - 1]]);
    const shifted = tf.sub(input, shift);
    const shiftedMean = tf.mean(shifted, axes);
    const centered = tf.sub(shifted, shiftedMean);
    const variance = tf.mean(tf.square(centered), axes) as tf.Tensor1D;
    const mean = tf.add(tf.reshape(shift, [-1]), shiftedMean) as tf.Tensor1D;
    const invstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(centered, invstd);
    onStats?.({ mean, variance });
    save([xhat, invstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedXhat, savedInvstd, savedGamma] = saved;
        const dbeta = tf.sum(dy, axes);
        const dgamma = tf.sum(tf.mul(dy, savedXhat), axes);
        const scale = tf.div(tf.mul(savedGamma, savedInvstd), m);
        const inner = tf.sub(tf.sub(tf.mul(dy, m), dbeta), tf.mul(savedXhat, dgamma));
        return [tf.mul(inner, scale), dgamma, dbeta];
      },
    };
  });
  return op(x, gamma, beta);
}

/** The running statistics a training-mode call updates (PyTorch's rule, see BatchNorm). */
export interface RunningStats {
  mean: tf.Variable;
  variance: tf.Variable;
  momentum: number;
}

/**
 * Training-mode batch norm on TF's fused kernels (native backend only). x: [..., H, W, C] with
 * rank >= 4 (the leading axes are folded into the batch); gamma, beta: [C]. Updates `running`.
 * Gradients: dx, dgamma, dbeta from FusedBatchNormGradV3 (dx of the shifted data is dx of x: the
 * shift's own gradient, minus the sum of dx over the batch, is zero).
 */
export function batchNormTrainFused(kernels: NativeKernels, x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number, running: RunningStats): tf.Tensor {
  const shape = x.shape;
  const [h, w, c] = shape.slice(-3);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, g, b] = args as tf.Tensor1D[];
    const save = args[3] as tf.GradSaveFunc;
    // A reshape to the same shape is still a kernel launch: rank-4 input goes as it is.
    const to4d = (t: tf.Tensor) => (t.rank === 4 ? t : tf.reshape(t, [-1, h, w, c])) as tf.Tensor4D;
    const x4 = to4d(input);
    const shift = tf.slice(x4, [0, 0, 0, 0], [1, 1, 1, c]);
    const shifted = tf.sub(x4, shift) as tf.Tensor4D;
    const shift1 = tf.reshape(shift, [c]);
    // The running mean goes through the kernel shifted too, and comes back shifted.
    const out = kernels.fusedBatchNormTrain(shifted, g, b, tf.sub(running.mean, shift1), running.variance as tf.Tensor as tf.Tensor1D, eps, running.momentum);
    running.mean.assign(tf.add(out.runningMean, shift1));
    running.variance.assign(out.runningVar);
    save([shifted, g, ...out.reserve]);
    return {
      value: input.rank === 4 ? out.y : tf.reshape(out.y, shape),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedGamma, ...reserve] = saved as [tf.Tensor4D, tf.Tensor1D, ...tf.Tensor[]];
        const [dx, dgamma, dbeta] = kernels.fusedBatchNormGrad(to4d(dy), savedX, savedGamma, reserve, eps);
        return [dy.rank === 4 ? dx : tf.reshape(dx, shape), dgamma, dbeta];
      },
    };
  });
  return op(x, gamma, beta);
}

export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;

  constructor(scope: ParamScope, readonly channels: number, readonly options: BatchNormOptions) {
    this.gamma = scope.add("gamma", options.zeroInit ? tf.zeros([channels]) : tf.ones([channels]));
    this.beta = scope.add("beta", tf.zeros([channels]));
    this.runningMean = scope.add("running_mean", tf.zeros([channels]), false);
    this.runningVar = scope.add("running_var", tf.ones([channels]), false);
  }

  /** x: [..., C] -> same shape. Call inside tf.tidy (training mode assigns the running stats). */
  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    const gamma = this.gamma as tf.Tensor as tf.Tensor1D;
    const beta = this.beta as tf.Tensor as tf.Tensor1D;
    if (!training) {
      // y = x * scale + shift with scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
      const scale = tf.mul(gamma, tf.rsqrt(tf.add(this.runningVar, this.options.eps)));
      const shift = tf.sub(beta, tf.mul(this.runningMean, scale));
      return tf.add(tf.mul(x, scale), shift);
    }
    const kernels = nativeKernels();
    if (kernels && x.rank >= 4) {
      return batchNormTrainFused(kernels, x, gamma, beta, this.options.eps, { mean: this.runningMean, variance: this.runningVar, momentum: this.options.momentum });
    }
    const m = x.size / this.channels;
    return batchNormTrain(x, gamma, beta, this.options.eps, ({ mean, variance }) => {
      // running += k * (batch - running), the unbiased variance's m/(m-1) folded into the factor.
      const k = this.options.momentum;
      const unbias = m / Math.max(m - 1, 1);
      this.runningMean.assign(tf.add(this.runningMean, tf.mul(tf.sub(mean, this.runningMean), k)));
      this.runningVar.assign(tf.add(this.runningVar, tf.mul(tf.sub(tf.mul(variance, unbias), this.runningVar), k)));
    });
  }
}
