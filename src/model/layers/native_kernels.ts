// TensorFlow kernels that tfjs-node's op set does not offer, run through its backend's generic
// op runner (`executeMultipleOutputs(opName, attrs, inputs, count)`, the call every tfjs-node
// kernel is written with). Only on the native backend: `nativeKernels()` is null elsewhere, and the
// layers then use their portable tensor-op forms (batchnorm.ts, relu.ts).
//
// Why: a training step on tfjs-node pays per kernel launch and per pass over memory. Batch norm
// written as tensor ops is ~20 kernels and ~15 full passes per layer (forward and backward); TF's
// FusedBatchNormV3 / FusedBatchNormGradV3 are one kernel each way and also update the running
// statistics. ReluGrad is one kernel where dy * sign(y) is two.
import { tf } from "../../backend";

/** The parts of tfjs-node's backend used here (its NodeJSKernelBackend). */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_FLOAT: number };
  executeMultipleOutputs(name: string, attrs: object[], inputs: tf.Tensor[], count: number): tf.Tensor[];
  executeSingleOutput(name: string, attrs: object[], inputs: tf.Tensor[]): tf.Tensor;
}

export interface FusedBatchNormOutputs {
  /** [B, H, W, C] normalised, scaled and shifted. */
  y: tf.Tensor4D;
  /** [C] running mean and variance after the update (the inputs when factor = 1: the batch's). */
  runningMean: tf.Tensor1D;
  runningVar: tf.Tensor1D;
  /** What FusedBatchNormGradV3 needs of the forward pass (batch mean, variance, workspace). */
  reserve: tf.Tensor[];
}

export interface NativeKernels {
  /** Kernels launched through here so far (tf.profile does not see them; the bench counts them). */
  readonly launches: number;
  /**
   * Training-mode batch norm of x [B, H, W, C] over B, H, W per channel. The running statistics
   * come back updated as PyTorch updates them: running = (1 - factor) running + factor batch, the
   * batch variance unbiased (m / (m - 1)).
   */
  fusedBatchNormTrain(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, runningMean: tf.Tensor1D, runningVar: tf.Tensor1D, eps: number, factor: number): FusedBatchNormOutputs;
  /** dx [B, H, W, C], dgamma [C], dbeta [C] from dy and what the forward pass saved. */
  fusedBatchNormGrad(dy: tf.Tensor4D, x: tf.Tensor4D, gamma: tf.Tensor1D, reserve: tf.Tensor[], eps: number): [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
  /** dy where y > 0, else 0; y is the ReLU's output (y > 0 exactly where its input was). */
  reluGrad<T extends tf.Tensor>(dy: T, y: T): T;
}

function makeKernels(be: NodeBackend): NativeKernels {
  const b = be.binding;
  const types = [
    { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: "U", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
  ];
  const common = (eps: number) => [
    ...types,
    { name: "epsilon", type: b.TF_ATTR_FLOAT, value: eps },
    { name: "data_format", type: b.TF_ATTR_STRING, value: "NHWC" },
    { name: "is_training", type: b.TF_ATTR_BOOL, value: true },
  ];
  let launches = 0;
  return {
    get launches() {
      return launches;
    },
    fusedBatchNormTrain(x, gamma, beta, runningMean, runningVar, eps, factor) {
      const attrs = [...common(eps), { name: "exponential_avg_factor", type: b.TF_ATTR_FLOAT, value: factor }];
      launches++;
      const [y, mean, variance, ...reserve] = be.executeMultipleOutputs("FusedBatchNormV3", attrs, [x, gamma, beta, runningMean, runningVar], 6);
      return { y: y as tf.Tensor4D, runningMean: mean as tf.Tensor1D, runningVar: variance as tf.Tensor1D, reserve };
    },
    fusedBatchNormGrad(dy, x, gamma, reserve, eps) {
      launches++;
      const [dx, dgamma, dbeta, ...unused] = be.executeMultipleOutputs("FusedBatchNormGradV3", common(eps), [dy, x, gamma, ...reserve], 5);
      tf.dispose(unused);
      return [dx as tf.Tensor4D, dgamma as tf.Tensor1D, dbeta as tf.Tensor1D];
    },
    reluGrad(dy, y) {
      launches++;
      return be.executeSingleOutput("ReluGrad", [types[0]], [dy, y]) as typeof dy;
    },
  };
}

let cached: { backend: unknown; kernels: NativeKernels | null } | undefined;

/** The native kernels when the current backend is tfjs-node's, else null. */
export function nativeKernels(): NativeKernels | null {
  const be = tf.backend() as unknown as Partial<NodeBackend>;
  if (cached?.backend === be) return cached.kernels;
  const native = tf.getBackend() === "tensorflow" && typeof be.executeMultipleOutputs === "function" && be.binding !== undefined;
  cached = { backend: be, kernels: native ? makeKernels(be as NodeBackend) : null };
  return cached.kernels;
}
