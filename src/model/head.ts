// SlowFastHead: global average pool of each pathway over (T, H, W), concatenation, dropout, fc.
// mmaction2 concatenates FAST first, then SLOW; PySlowFast and pytorchvideo concatenate slow then
// fast. The order only matters when loading weights trained by the other: the fc's input rows
// would be swapped.
//   slow [N,Ts,7,7,2048] -> [N,2048]; fast [N,Tf,7,7,256] -> [N,256]; concat -> [N,2304] -> fc -> [N,K]
import { tf } from "../backend";
import type { ParamScope } from "./params";

export type ConcatOrder = "fast_slow" | "slow_fast";

export class SlowFastHead {
  /** [inChannels, numClasses] (PyTorch's Linear.weight is its transpose). */
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(scope: ParamScope, readonly inChannels: number, readonly numClasses: number, readonly dropout: number, initStd: number, readonly order: ConcatOrder = "fast_slow") {
    this.weight = scope.add("fc.weight", tf.randomNormal([inChannels, numClasses], 0, initStd, "float32", scope.seed()));
    this.bias = scope.add("fc.bias", tf.zeros([numClasses]));
  }

  /** Global average pool: [N, T, H, W, C] -> [N, C]. */
  static pool(x: tf.Tensor5D): tf.Tensor2D {
    return tf.mean(x, [1, 2, 3]) as tf.Tensor2D;
  }

  /** Pooled features in the configured order: [N, C_fast + C_slow] (either pathway may be absent). */
  features(slow: tf.Tensor5D | null, fast: tf.Tensor5D | null): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = { slow: slow && SlowFastHead.pool(slow), fast: fast && SlowFastHead.pool(fast) };
      const ordered = this.order === "fast_slow" ? [pooled.fast, pooled.slow] : [pooled.slow, pooled.fast];
      const parts = ordered.filter((t): t is tf.Tensor2D => t !== null);
      return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
    });
  }

  /** -> logits [N, numClasses]. Dropout only in training. */
  apply(slow: tf.Tensor5D | null, fast: tf.Tensor5D | null, training: boolean, dropoutSeed?: number): tf.Tensor2D {
    return tf.tidy(() => {
      let x: tf.Tensor2D = this.features(slow, fast);
      if (training && this.dropout > 0) x = tf.dropout(x, this.dropout, undefined, dropoutSeed) as tf.Tensor2D;
      return tf.add(tf.matMul(x, this.weight), this.bias) as tf.Tensor2D;
    });
  }

  macs(batch: number): number {
    return batch * this.inChannels * this.numClasses;
  }
}
