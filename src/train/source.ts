// What the trainer needs from a data source; src/data's ClipLoader is one, tests use in-memory ones.
import type { tf } from "../backend";

export interface TrainBatch {
  /** [B * views, T, H, W, 3] normalised NDHWC; view i belongs to item floor(i / views). */
  clips: tf.Tensor5D;
  /** [B] int32. */
  labels: tf.Tensor1D;
}

export interface BatchSource {
  readonly batchesPerEpoch: number;
  /** The batches of one epoch, the same for the same epoch number (the caller disposes them). */
  batches(epoch: number): AsyncIterable<TrainBatch>;
}
