// Checkers for notebook 01 (temporal sampling), against src/model/sampling.ts.
import { tf } from "../../backend";
import { frameIndices, linspaceIndices, nearestIndices } from "../../model/sampling";
import { call, check, expectArray, expectClose } from "../check";

// Clip lengths and strides, including a clip length that tau does not divide (30 frames).
const NEAREST_CASES: [number, number][] = [[32, 8], [32, 4], [64, 16], [16, 2], [30, 8]];

/** 1.1: mmaction2's slow frames: nearest-neighbour resampling by 1/tau. */
export function checkSlowIndices(slowIndices: (frames: number, tau: number) => number[]): void {
  return check("1.1", "slow pathway frame indices (mmaction2, nearest)", () => {
    for (const [frames, tau] of NEAREST_CASES) {
      expectArray(`slowIndices(${frames}, ${tau})`, nearestIndices(frames, tau), call("slowIndices", () => slowIndices(frames, tau)));
    }
  }, slowIndices);
}

/** 1.2: mmaction2's fast frames: one in tau/alpha. */
export function checkFastIndices(fastIndices: (frames: number, tau: number, alpha: number) => number[]): void {
  return check("1.2", "fast pathway frame indices (mmaction2, nearest)", () => {
    for (const [frames, tau, alpha] of [[32, 8, 8], [32, 8, 4], [32, 4, 4], [64, 16, 8]]) {
      const want = frameIndices(frames, tau, alpha, "nearest").fast;
      expectArray(`fastIndices(${frames}, ${tau}, ${alpha})`, want, call("fastIndices", () => fastIndices(frames, tau, alpha)));
    }
  }, fastIndices);
}

/** 1.3: PySlowFast's torch.linspace(0, n - 1, count).long(). */
export function checkLinspace(linspace: (n: number, count: number) => number[]): void {
  return check("1.3", "linspace indices (PySlowFast)", () => {
    for (const [n, count] of [[32, 4], [32, 8], [16, 4], [10, 3], [7, 1]]) {
      expectArray(`linspace(${n}, ${count})`, linspaceIndices(n, count), call("linspace", () => linspace(n, count)));
    }
  }, linspace);
}

/** 1.4: pick frames out of a clip [N, T, H, W, C] along the time axis. */
export function checkGatherFrames(gather: (clip: tf.Tensor5D, indices: number[]) => tf.Tensor5D): void {
  return check("1.4", "gather frames along the time axis", () => {
    const clip = tf.tidy(() => tf.randomUniform([2, 8, 3, 4, 3], 0, 1, "float32", 7) as tf.Tensor5D);
    try {
      for (const idx of [[0, 2, 4, 6], [1, 7], [0, 1, 2, 3, 4, 5, 6, 7]]) {
        const want = tf.tidy(() => tf.gather(clip, tf.tensor1d(idx, "int32"), 1));
        let got: unknown;
        try {
          // tidy frees the learner's intermediate tensors (the indices tensor, ...) and keeps the result.
          got = call("gatherFrames", () => tf.tidy(() => gather(clip, idx)));
          expectClose(`gatherFrames(clip [2, 8, 3, 4, 3], ${JSON.stringify(idx)})`, want, got, 0);
        } finally {
          want.dispose();
          if (got instanceof tf.Tensor && got !== clip) got.dispose();
        }
      }
    } finally {
      clip.dispose();
    }
  }, gather);
}
