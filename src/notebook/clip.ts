// A small synthetic video clip that looks like something (a ball rolling across a scene, the frame
// number printed in the corner), so a learner can see which frames each pathway receives. The data
// set of the training run lives in src/data; this clip only serves the notebooks' plots and probes.
import { tf } from "../backend";
import { pngDataUrl } from "./png";
import type { ImagePanel } from "./plot";

export interface Clip {
  /** [frames, size, size, 3] RGB bytes, row-major (THWC). */
  rgb: Uint8Array;
  frames: number;
  size: number;
}

// 3x5 pixel digits, one string of 15 bits per digit (row by row).
const DIGITS = ["111101101101111", "010110010010111", "111001111100111", "111001111001111", "101101111001001", "111100111001111", "111100111101111", "111001010010010", "111101111101111", "111101111001111"];

function put(rgb: Uint8Array, size: number, t: number, x: number, y: number, c: readonly number[]): void {
  if (x < 0 || y < 0 || x >= size || y >= size) return;
  const o = ((t * size + y) * size + x) * 3;
  rgb[o] = c[0];
  rgb[o + 1] = c[1];
  rgb[o + 2] = c[2];
}

function drawNumber(rgb: Uint8Array, size: number, t: number, n: number, scale: number): void {
  const text = String(n);
  const x0 = Math.max(1, Math.round(scale));
  for (let y = -1; y < 5 * scale + 1; y++) for (let x = -1; x < text.length * 4 * scale; x++) put(rgb, size, t, x0 + x, x0 + y, [0, 0, 0]);
  [...text].forEach((ch, k) => {
    const bits = DIGITS[Number(ch)];
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 3; c++) {
        if (bits[r * 3 + c] !== "1") continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) put(rgb, size, t, x0 + (k * 4 + c) * scale + dx, x0 + r * scale + dy, [255, 255, 255]);
      }
    }
  });
}

/** A ball rolling left to right and bouncing, over sky and grass; frame number top-left. */
export function syntheticClip(frames = 32, size = 64): Clip {
  const rgb = new Uint8Array(frames * size * size * 3);
  const horizon = Math.round(size * 0.65);
  const radius = Math.max(2, size * 0.09);
  for (let t = 0; t < frames; t++) {
    const p = frames === 1 ? 0 : t / (frames - 1);
    const cx = radius + p * (size - 2 * radius);
    const cy = horizon - radius - Math.abs(Math.sin(p * Math.PI * 3)) * size * 0.35;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let c: number[];
        if (y < horizon) c = [110 + (y * 80) / horizon, 160 + (y * 60) / horizon, 235];
        else c = [40 + ((x * 7 + y * 3) % 17), 130 + ((x * 5) % 23), 50];
        const d = Math.hypot(x - cx, y - cy);
        if (d < radius) c = [220 - d * 10, 40, 40];
        put(rgb, size, t, x, y, c.map(Math.round));
      }
    }
    drawNumber(rgb, size, t, t, Math.max(1, Math.floor(size / 48)));
  }
  return { rgb, frames, size };
}

/** The clip as a float tensor [1, frames, size, size, 3] with values 0..255 (NDHWC, batch of one). */
export function clipTensor(clip: Clip): tf.Tensor5D {
  return tf.tensor5d(Float32Array.from(clip.rgb), [1, clip.frames, clip.size, clip.size, 3]);
}

/** One frame (HWC bytes) of a [1, T, H, W, 3] tensor with values 0..255. */
export function frameBytes(video: tf.Tensor5D, t: number): Uint8Array {
  const [, , h, w] = video.shape;
  const frame = tf.tidy(() => video.slice([0, t, 0, 0, 0], [1, 1, h, w, 3]).clipByValue(0, 255).round());
  const bytes = Uint8Array.from(frame.dataSync());
  frame.dispose();
  return bytes;
}

/** Image panels for the frames `indices` of a [1, T, H, W, 3] tensor (0..255), one caption each. */
export function framePanels(video: tf.Tensor5D, indices: readonly number[], caption: (t: number, k: number) => string): ImagePanel[] {
  const [, , h, w] = video.shape;
  return indices.map((t, k) => ({ src: pngDataUrl(frameBytes(video, t), w, h), width: w, height: h, title: caption(t, k) }));
}
