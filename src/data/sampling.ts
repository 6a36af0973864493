// mmaction2's SampleFrames: which frame indices of a video make up each clip.
//
// Given a video of `totalFrames` frames, SampleFrames(clipLen, frameInterval, numClips) returns
// numClips clips of clipLen indices each, frameInterval apart:
//     clip c = [o_c, o_c + frameInterval, ..., o_c + (clipLen - 1) * frameInterval]  (mod totalFrames)
// Only the clip offsets o_c differ between training and testing (mmaction2
// mmaction/datasets/transforms/loading.py, SampleFrames._get_train_clips / _get_test_clips):
//   train: the video is cut into numClips equal segments and each clip starts at a random frame of
//          its segment (one random clip from the whole video when numClips = 1);
//   test:  numClips offsets evenly spaced from the first to the last possible start (the middle one
//          when numClips = 1). No randomness, so test scores are reproducible.
// Indices past the end wrap around ("loop", mmaction2's default out_of_bound_opt): a 20-frame
// video sampled with clipLen 16, frameInterval 2 replays its start. Note the two modes measure a
// clip's span differently, as mmaction2 does: clipLen * frameInterval (train) versus
// (clipLen - 1) * frameInterval + 1 (test).
import type { Rng } from "./rng";

export interface SampleFramesConfig {
  clipLen: number;
  frameInterval: number;
  numClips: number;
}

/** numpy's round(): halves go to the even neighbour (np.round(2.5) = 2, np.round(3.5) = 4). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Clip start offsets for training; needs `rng` (numpy's global RNG in mmaction2). */
export function trainClipOffsets(totalFrames: number, cfg: SampleFramesConfig, rng: Rng): number[] {
  const { clipLen, frameInterval, numClips } = cfg;
  const span = clipLen * frameInterval;
  // Python's // floors, also for negative numbers.
  const avgInterval = Math.floor((totalFrames - span + 1) / numClips);
  const ks = [...Array(numClips).keys()];
  if (avgInterval > 0) return ks.map((k) => k * avgInterval + rng.int(avgInterval));
  if (totalFrames > Math.max(numClips, span)) {
    return ks.map(() => rng.int(totalFrames - span + 1)).sort((a, b) => a - b);
  }
  if (avgInterval === 0) {
    const ratio = (totalFrames - span + 1) / numClips;
    return ks.map((k) => roundHalfEven(k * ratio));
  }
  return ks.map(() => 0);
}

/** Clip start offsets for testing: evenly spaced, deterministic. */
export function testClipOffsets(totalFrames: number, cfg: SampleFramesConfig): number[] {
  const { numClips } = cfg;
  const span = (cfg.clipLen - 1) * cfg.frameInterval + 1;
  const maxOffset = Math.max(totalFrames - span, 0);
  if (numClips === 1) return [Math.floor(maxOffset / 2)];
  const between = maxOffset / Math.max(numClips - 1, 1);
  return [...Array(numClips).keys()].map((k) => roundHalfEven(k * between));
}

/**
 * The frame indices of every clip: [numClips][clipLen], already wrapped into [0, totalFrames).
 * `rng` given = training mode (random offsets); omitted = test mode (evenly spaced).
 */
export function sampleFrames(totalFrames: number, cfg: SampleFramesConfig, rng?: Rng): number[][] {
  if (!Number.isInteger(totalFrames) || totalFrames <= 0) throw new Error(`SampleFrames: totalFrames must be a positive integer, got ${totalFrames}`);
  for (const key of ["clipLen", "frameInterval", "numClips"] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] <= 0) throw new Error(`SampleFrames: ${key} must be a positive integer, got ${cfg[key]}`);
  }
  const offsets = rng ? trainClipOffsets(totalFrames, cfg, rng) : testClipOffsets(totalFrames, cfg);
  return offsets.map((o) => [...Array(cfg.clipLen).keys()].map((i) => (o + i * cfg.frameInterval) % totalFrames));
}
