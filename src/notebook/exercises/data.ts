// Checkers for notebook 07 (data), against src/data/sampling.ts (mmaction2's SampleFrames), and the
// one plotting helper that notebook needs: decoded frames (src/data's Frames) as image panels.
import type { Frames } from "../../data/pipeline";
import { Rng } from "../../data/rng";
import { sampleFrames } from "../../data/sampling";
import { call, check, CheckFailure, expectArray, expectEqual } from "../check";
import type { ImagePanel } from "../plot";
import { pngDataUrl } from "../png";

/** Image panels (for imageGrid) of the frames `indices` of decoded frames [T, H, W, 3], one caption each. */
export function framesPanels(frames: Frames, indices: readonly number[], caption: (t: number, k: number) => string): ImagePanel[] {
  const fb = frames.height * frames.width * 3;
  return indices.map((t, k) => {
    if (!Number.isInteger(t) || t < 0 || t >= frames.frames) throw new Error(`framesPanels: frame ${t} is outside the ${frames.frames} frames`);
    return { src: pngDataUrl(frames.data.subarray(t * fb, (t + 1) * fb), frames.width, frames.height), width: frames.width, height: frames.height, title: caption(t, k) };
  });
}

/** Per channel mean and standard deviation of [.., 3] interleaved values (to show what Normalize did). */
export function channelStats(values: ArrayLike<number>): { mean: number[]; std: number[] } {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  for (let k = 0; k < values.length; k++) {
    sum[k % 3] += values[k];
    sq[k % 3] += values[k] * values[k];
  }
  const n = values.length / 3;
  const mean = sum.map((s) => s / n);
  return { mean, std: sq.map((s, c) => Math.sqrt(Math.max(0, s / n - mean[c] * mean[c]))) };
}

// Videos of 48, 40, 36, 100 and 20 frames (the last shorter than one clip: indices loop), with
// offsets that need numpy's round-half-to-even (48 frames, 3 clips: 0, 8.5 -> 8, 17).
const TEST_CASES: [number, number, number, number][] = [
  [48, 16, 2, 1],
  [48, 16, 2, 3],
  [40, 8, 4, 1],
  [100, 32, 2, 10],
  [36, 4, 1, 5],
  [20, 16, 2, 1],
  [20, 8, 2, 2],
];

/** 7.1: SampleFrames in test mode: numClips clips, evenly spaced, frameInterval apart, looped. */
export function checkTestClipIndices(fn: (totalFrames: number, clipLen: number, frameInterval: number, numClips: number) => number[][]): void {
  return check("7.1", "SampleFrames, test mode (evenly spaced clips)", () => {
    for (const [total, clipLen, interval, numClips] of TEST_CASES) {
      const what = `testClipIndices(${total}, ${clipLen}, ${interval}, ${numClips})`;
      const want = sampleFrames(total, { clipLen, frameInterval: interval, numClips });
      const got = call(what, () => fn(total, clipLen, interval, numClips));
      if (!Array.isArray(got)) throw new CheckFailure(`${what}: expected an array of ${numClips} clip(s) (number[][]), got ${JSON.stringify(got)}`);
      expectEqual(`${what}: number of clips`, want.length, got.length);
      want.forEach((clip, c) => expectArray(`${what}, clip ${c}`, clip, got[c]));
    }
  }, fn);
}

const TRAIN_CASES: [number, number, number][] = [
  [48, 16, 2],
  [40, 8, 4],
  [100, 8, 8],
  [33, 16, 2],
  [32, 16, 2],
  [20, 16, 2],
];

/** 7.2: SampleFrames in training mode with one clip: a random start drawn with rng.int, then the same stride. */
export function checkTrainClipIndices(fn: (totalFrames: number, clipLen: number, frameInterval: number, rng: Rng) => number[]): void {
  return check("7.2", "SampleFrames, train mode (one clip at a random offset)", () => {
    for (const [total, clipLen, interval] of TRAIN_CASES) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const what = `trainClipIndices(${total}, ${clipLen}, ${interval}, new Rng(${seed}))`;
        const want = sampleFrames(total, { clipLen, frameInterval: interval, numClips: 1 }, new Rng(seed))[0];
        expectArray(what, want, call(what, () => fn(total, clipLen, interval, new Rng(seed))));
      }
    }
  }, fn);
}
