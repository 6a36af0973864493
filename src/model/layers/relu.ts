// ReLU with a cheap gradient. tfjs's own ReLU gradient is dy * step(x), and on tfjs-node `step`
// runs as IsNan + Greater + Fill + Select + Cast: measured ~2 ms per call on the training preset's
// larger tensors, ~37 ms of a ~200 ms step over its 18 ReLUs. Here the gradient is TF's ReluGrad
// kernel on the native backend (one kernel), else dy * sign(y) with y = relu(x) (two): sign(y) is
// 1 where x > 0 and 0 elsewhere, the same mask.
import { tf } from "../../backend";
import { nativeKernels } from "./native_kernels";

const reluOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const y = tf.relu(x);
  save([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => nativeKernels()?.reluGrad(dy, saved) ?? tf.mul(dy, tf.sign(saved)),
  };
});

/** max(x, 0), any shape; gradient dy where x > 0, else 0 (as tf.relu's). */
export function relu<T extends tf.Tensor>(x: T): T {
  return reluOp(x) as T;
}
