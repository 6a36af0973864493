// A heat map drawn over video frames (notebook 11's Grad-CAM): frame pixels blended with a
// dark-red-to-yellow ramp, as strong as the heat.
import type { Frames } from "../data/pipeline";
import { pngDataUrl } from "./png";
import type { ImagePanel } from "./plot";

/** Heat value in [0, 1] -> RGB: transparent-ish dark red at 0 through red and orange to yellow at 1. */
export function heatColour(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, v));
  return [Math.round(255 * Math.min(1, 0.3 + 1.4 * x)), Math.round(255 * Math.max(0, Math.min(1, 2 * x - 0.6))), 0];
}

/**
 * One frame with its heat drawn over it: pixel = (1 - a) frame + a colour(h), a = opacity * h, with
 * h = heat / scale clamped to [0, 1] (one scale for several maps keeps them comparable; 0 draws none).
 * frame: H*W*3 bytes, heat: H*W values.
 */
export function overlayRgb(frame: Uint8Array, heat: ArrayLike<number>, scale: number, opacity = 0.7): Uint8Array {
  if (frame.length !== heat.length * 3) throw new Error(`overlay: a frame of ${frame.length / 3} pixels and a heat map of ${heat.length}: they must match`);
  if (!(scale >= 0)) throw new Error(`overlay: scale must be a number >= 0, got ${scale}`);
  const out = new Uint8Array(frame.length);
  for (let p = 0; p < heat.length; p++) {
    // scale 0: every map it is shared by is all zero (a class with no positive evidence): no heat.
    const h = scale > 0 ? Math.min(1, Math.max(0, heat[p] / scale)) : 0;
    const a = opacity * h;
    const c = heatColour(h);
    for (let k = 0; k < 3; k++) out[3 * p + k] = Math.round((1 - a) * frame[3 * p + k] + a * c[k]);
  }
  return out;
}

/**
 * Image panels of `frames` (decoded or denormalised, [T, H, W, 3] bytes) with heat [T', H, W]
 * drawn over them: panel k shows frame indices[k] under heat map heatIndices[k].
 */
export function overlayPanels(frames: Frames, heat: { data: ArrayLike<number>; frames: number }, pairs: readonly { frame: number; heat: number }[], scale: number, caption: (k: number) => string): ImagePanel[] {
  const px = frames.height * frames.width;
  if (heat.data.length !== heat.frames * px) throw new Error(`overlay: heat holds ${heat.data.length} values, expected ${heat.frames} maps of ${frames.height}x${frames.width}`);
  return pairs.map(({ frame, heat: h }, k) => {
    if (frame < 0 || frame >= frames.frames || h < 0 || h >= heat.frames) throw new Error(`overlay: frame ${frame} of ${frames.frames} or map ${h} of ${heat.frames} does not exist`);
    const rgb = overlayRgb(frames.data.subarray(frame * px * 3, (frame + 1) * px * 3), Array.prototype.slice.call(heat.data, h * px, (h + 1) * px) as number[], scale);
    return { src: pngDataUrl(rgb, frames.width, frames.height), width: frames.width, height: frames.height, title: caption(k) };
  });
}
