// In-memory training data for the trainer's tests: batches whose contents depend only on (epoch,
// index), so a resumed run sees exactly what an uninterrupted one saw. Labels cycle; clips are
// seeded noise plus a label-dependent offset (learnable).
import { tf } from "../src/backend";
import type { SlowFastConfig } from "../src/model";
import type { BatchSource, TrainBatch } from "../src/train/source";

export function memorySource(config: SlowFastConfig, batches: number, batchSize: number, opts: { nan?: boolean } = {}): BatchSource {
  const K = config.numClasses;
  return {
    batchesPerEpoch: batches,
    async *batches(epoch: number): AsyncGenerator<TrainBatch> {
      for (let b = 0; b < batches; b++) {
        const labelList = Array.from({ length: batchSize }, (_, i) => (b * batchSize + i + epoch) % K);
        const labels = tf.tensor1d(labelList, "int32");
        const clips = tf.tidy(() => {
          const noise = tf.randomNormal([batchSize, config.frames, config.size, config.size, 3], 0, 1, "float32", 1 + 1000 * epoch + b); // seed 0 would mean "random" in tfjs
          const shift = tf.reshape(tf.cast(labels, "float32"), [batchSize, 1, 1, 1, 1]);
          const x = tf.add(noise, tf.mul(shift, 0.5));
          return (opts.nan ? tf.mul(x, NaN) : x) as tf.Tensor5D;
        });
        yield { clips, labels };
      }
    },
  };
}
