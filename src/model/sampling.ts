// Temporal sampling: one input clip becomes the two pathways' inputs.
//   slow: one frame in tau        -> frames / tau frames
//   fast: one frame in tau/alpha  -> frames * alpha / tau frames
// Two conventions, selectable in the config:
//   "nearest"  mmaction2 (ResNet3dSlowFast.forward): F.interpolate(mode="nearest", scale 1/tau),
//              which picks frame floor(i * tau): 0, 8, 16, 24 of 32 for tau = 8.
//   "linspace" PySlowFast (pack_pathway_output): the fast frames, then slow = their
//              linspace(0, T_fast - 1, T_fast / alpha) truncated to integers: 0, 10, 20, 31 of 32.
import { tf } from "../backend";
import { pathwayFrames, type SamplingMode, type SlowFastConfig } from "./config";
import type { Shape5 } from "./shape";

/** PyTorch nearest-neighbour resampling by scale 1/stride: index floor(i * stride), clamped. */
export function nearestIndices(inFrames: number, stride: number): number[] {
  const out = Math.floor(inFrames / stride);
  return Array.from({ length: out }, (_, i) => Math.min(Math.floor(i * stride), inFrames - 1));
}

/** torch.linspace(0, inFrames - 1, count).long(): evenly spaced, truncated toward zero. */
export function linspaceIndices(inFrames: number, count: number): number[] {
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, i) => Math.trunc((i * (inFrames - 1)) / (count - 1)));
}

export interface PathwayIndices {
  slow: number[];
  fast: number[];
}

/** Which input frames each pathway sees. */
export function frameIndices(frames: number, tau: number, alpha: number, mode: SamplingMode): PathwayIndices {
  if (mode === "nearest") return { slow: nearestIndices(frames, tau), fast: nearestIndices(frames, tau / alpha) };
  const fast = linspaceIndices(frames, (frames * alpha) / tau);
  const slow = linspaceIndices(fast.length, fast.length / alpha).map((i) => fast[i]);
  return { slow, fast };
}

export function configFrameIndices(cfg: SlowFastConfig): PathwayIndices {
  return frameIndices(cfg.frames, cfg.tau, cfg.alpha, cfg.sampling);
}

/** Input [N, T, H, W, C] -> the two pathways' shapes. */
export function sampledShapes(x: Shape5, cfg: SlowFastConfig): { slow: Shape5; fast: Shape5 } {
  const t = pathwayFrames(cfg);
  return { slow: [x[0], t.slow, x[2], x[3], x[4]], fast: [x[0], t.fast, x[2], x[3], x[4]] };
}

/** clip: [N, T, H, W, C] -> slow [N, T/tau, H, W, C], fast [N, T*alpha/tau, H, W, C]. */
export function samplePathways(clip: tf.Tensor5D, cfg: SlowFastConfig): { slow: tf.Tensor5D; fast: tf.Tensor5D } {
  const idx = configFrameIndices(cfg);
  // Every frame in order (the fast pathway when tau = alpha) is the clip itself: a clone shares its
  // data, where a gather would copy it.
  const pick = (frames: number[]) =>
    frames.every((f, i) => f === i) && frames.length === clip.shape[1] ? (tf.clone(clip) as tf.Tensor5D) : (tf.gather(clip, tf.tensor1d(frames, "int32"), 1) as tf.Tensor5D);
  return tf.tidy(() => ({ slow: pick(idx.slow), fast: pick(idx.fast) }));
}
