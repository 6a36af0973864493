// What a model says about one video: mmaction2's test protocol on a single file. N clips evenly
// spaced (SampleFrames, test mode), each resized short side -> centre crop (1 view) or three crops
// along the long side; softmax per view, averaged over the views (mmaction2's average_clips='prob').
//
//   video --ClipLoader (test mode)--> views [V, T, S, S, 3] --forward, a few at a time--> softmax
//   [V, K] --mean over V--> scores [K] --topK--> [{index, label, score}]
//
// Three crops are mmaction2's ThreeCrop(crop_size = short side): for R50 the short side is 256,
// so the views are 256x256, not 224 (the head pools globally, any size works): build the model with
// { size: threeCropSize(config.size) } for them (see viewSize).
import { tf } from "../backend";
import { ClipLoader, defaultShortSide } from "../data";
import type { SlowFast } from "../model";

export interface Prediction {
  index: number;
  label: string;
  score: number;
}

export interface VideoPredictOptions {
  clips: number;
  crops: 1 | 3;
  frameInterval: number;
  /** Views per forward pass (memory: an R50 view at 256x256 is ~25 MB in, ~1.5 GB of activations). */
  viewsPerPass?: number;
}

/** The crop size of the views: the model's size (centre crop) or the short side (three crops). */
export function viewSize(size: number, crops: 1 | 3): number {
  return crops === 3 ? defaultShortSide(size) : size;
}

/**
 * Averaged softmax scores [K] of `views` ([V, T, S, S, 3], NDHWC, normalised): eval mode,
 * `viewsPerPass` views per forward. Does not dispose `views`.
 */
export function averagedScores(model: SlowFast, views: tf.Tensor5D, viewsPerPass = 1): Float32Array {
  const n = views.shape[0];
  const sum = new Float32Array(model.config.numClasses);
  for (let i = 0; i < n; i += viewsPerPass) {
    const count = Math.min(viewsPerPass, n - i);
    const probs = tf.tidy(() => tf.softmax(model.predict(views.slice([i, 0, 0, 0, 0], [count, -1, -1, -1, -1]) as tf.Tensor5D)));
    const values = probs.dataSync();
    probs.dispose();
    for (let k = 0; k < values.length; k++) sum[k % sum.length] += values[k];
  }
  return sum.map((s) => s / n);
}

/**
 * The video's averaged scores under mmaction2's test pipeline for the model's preset. The model's
 * config.size must equal viewSize(size, crops) (the caller builds it so). Returns the scores and
 * the views' shape.
 */
export async function predictVideo(model: SlowFast, video: string, o: VideoPredictOptions): Promise<{ scores: Float32Array; views: number[] }> {
  const cfg = model.config;
  const loader = new ClipLoader([{ path: video, label: 0, className: "", group: 0 }], {
    batchSize: 1,
    clipLen: cfg.frames,
    frameInterval: o.frameInterval,
    numClips: o.clips,
    crops: o.crops,
    // Centre crop: short side round(size * 256/224) (the loader's default); three crops: the
    // loader makes the short side equal to the crop, cfg.size = viewSize(...).
    size: cfg.size,
    mode: "test",
    seed: 0,
    cacheBytes: 0,
    concurrency: 1,
  });
  for await (const batch of loader.batches(0)) {
    try {
      return { scores: averagedScores(model, batch.clips, o.viewsPerPass ?? 1), views: batch.clips.shape };
    } finally {
      tf.dispose([batch.clips, batch.labels]);
    }
  }
  throw new Error(`${video}: ${loader.skipped[0]?.error ?? "no clip could be read"}`);
}

/** The k best classes, highest score first. */
export function topK(scores: ArrayLike<number>, labels: readonly string[], k: number): Prediction[] {
  return Array.from(scores, (score, index) => ({ index, score }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k)
    .map(({ index, score }) => ({ index, label: labels[index] ?? `class ${index}`, score }));
}
