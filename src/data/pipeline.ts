// mmaction2's spatial transforms, as small pure functions on typed arrays, in pipeline order:
//
//   train: SampleFrames -> decode -> Resize(-1, shortSide) -> RandomResizedCrop -> Resize(size, size)
//          -> Flip(0.5) -> Normalize -> stack into NDHWC
//   test:  SampleFrames (evenly spaced) -> decode -> Resize(-1, shortSide) -> CenterCrop(size)
//          (or ThreeCrop) -> Normalize -> stack
//
// A clip is `Frames`: T frames of H x W RGB bytes, laid out [T, H, W, 3] (NDHWC without the N),
// the layout TensorFlow.js's conv3d takes. Every function returns a new array and never mutates
// its input, so a notebook can show each step side by side. The same crop and the same flip apply
// to every frame of a video (and to all its clips), as in mmaction2, where a transform sees the
// whole list of frames at once.
import type { Rng } from "./rng";

export interface Frames {
  /** [frames, height, width, 3] RGB, row-major. */
  data: Uint8Array;
  frames: number;
  height: number;
  width: number;
}

/** Pixel-space box: left, top, width, height. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** mmaction2's Normalize for RGB input in 0..255 (ImageNet statistics). */
export const MMACTION_MEAN: readonly [number, number, number] = [123.675, 116.28, 103.53];
export const MMACTION_STD: readonly [number, number, number] = [58.395, 57.12, 57.375];

/** mmaction2's recipe: resize the short side to 256 and crop 224; the same 8/7 ratio at any size. */
export function defaultShortSide(size: number): number {
  return Math.round((size * 256) / 224);
}

function checkFrames(f: Frames, what: string): void {
  if (f.data.length !== f.frames * f.height * f.width * 3) {
    throw new Error(`${what}: data holds ${f.data.length} bytes, expected frames*height*width*3 = ${f.frames}*${f.height}*${f.width}*3`);
  }
}

/**
 * The size after mmaction2's Resize(scale=(-1, short), keep_ratio=True): the short side becomes
 * `short`, the long side keeps the aspect ratio (mmcv.rescale_size rounds half up).
 */
export function shortSideSize(width: number, height: number, short: number): { width: number; height: number } {
  const factor = short / Math.min(width, height);
  return { width: Math.floor(width * factor + 0.5), height: Math.floor(height * factor + 0.5) };
}

/**
 * Where bilinear resampling of [start, start + length) to `outN` samples reads (half-pixel centres,
 * as cv2 / mmcv resize): output k blends source i0[k] and i1[k] with weight f[k] on i1[k].
 * Computed once per crop and shared by all frames.
 */
function bilinearTaps(outN: number, start: number, length: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } {
  const scale = length / outN;
  const i0 = new Int32Array(outN), i1 = new Int32Array(outN), f = new Float32Array(outN);
  for (let k = 0; k < outN; k++) {
    const p = Math.min(Math.max((k + 0.5) * scale - 0.5, 0), length - 1);
    i0[k] = start + Math.floor(p);
    i1[k] = Math.min(i0[k] + 1, start + length - 1);
    f[k] = p - Math.floor(p);
  }
  return { i0, i1, f };
}

/**
 * Crops `box` out of every frame and resizes it to outW x outH with bilinear interpolation
 * (OpenCV's INTER_LINEAR convention: pixel centres at +0.5, edges clamped, rounded to bytes).
 * With box = the whole frame this is a plain resize.
 */
export function cropResize(src: Frames, box: Box, outW: number, outH: number): Frames {
  checkFrames(src, "cropResize");
  if (box.x < 0 || box.y < 0 || box.w < 1 || box.h < 1 || box.x + box.w > src.width || box.y + box.h > src.height) {
    throw new Error(`cropResize: box ${JSON.stringify(box)} is not inside the ${src.width}x${src.height} frame`);
  }
  const { width: W, height: H } = src;
  const out = new Uint8Array(src.frames * outH * outW * 3);
  // Source coordinates and weights per output column/row, computed once for all frames.
  const { i0: x0, i1: x1, f: fx } = bilinearTaps(outW, box.x, box.w);
  const { i0: y0, i1: y1, f: fy } = bilinearTaps(outH, box.y, box.h);
  const s = src.data;
  let o = 0;
  for (let t = 0; t < src.frames; t++) {
    const base = t * H * W * 3;
    for (let i = 0; i < outH; i++) {
      const r0 = base + y0[i] * W * 3, r1 = base + y1[i] * W * 3, wy = fy[i];
      for (let j = 0; j < outW; j++) {
        const a = x0[j] * 3, b = x1[j] * 3, wx = fx[j];
        for (let c = 0; c < 3; c++) {
          const top = s[r0 + a + c] + (s[r0 + b + c] - s[r0 + a + c]) * wx;
          const bot = s[r1 + a + c] + (s[r1 + b + c] - s[r1 + a + c]) * wx;
          out[o++] = Math.round(top + (bot - top) * wy);
        }
      }
    }
  }
  return { data: out, frames: src.frames, height: outH, width: outW };
}

/** mmaction2's Resize(scale=(-1, short)): bilinear, short side to `short`, aspect ratio kept. */
export function resizeShortSide(src: Frames, short: number): Frames {
  const { width, height } = shortSideSize(src.width, src.height, short);
  return cropResize(src, { x: 0, y: 0, w: src.width, h: src.height }, width, height);
}

/** Copies `box` out of every frame (no resampling). */
export function crop(src: Frames, box: Box): Frames {
  checkFrames(src, "crop");
  if (box.x < 0 || box.y < 0 || box.x + box.w > src.width || box.y + box.h > src.height) {
    throw new Error(`crop: box ${JSON.stringify(box)} is not inside the ${src.width}x${src.height} frame`);
  }
  const out = new Uint8Array(src.frames * box.h * box.w * 3);
  const row = box.w * 3;
  for (let t = 0; t < src.frames; t++) {
    for (let i = 0; i < box.h; i++) {
      const from = ((t * src.height + box.y + i) * src.width + box.x) * 3;
      out.set(src.data.subarray(from, from + row), (t * box.h + i) * row);
    }
  }
  return { data: out, frames: src.frames, height: box.h, width: box.w };
}

/** mmaction2's CenterCrop box: left = (W - size) // 2, top = (H - size) // 2. */
export function centerCropBox(width: number, height: number, size: number): Box {
  if (size > width || size > height) throw new Error(`centerCrop: crop ${size} is larger than the ${width}x${height} frame`);
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), w: size, h: size };
}

export function centerCrop(src: Frames, size: number): Frames {
  return crop(src, centerCropBox(src.width, src.height, size));
}

/**
 * mmaction2's ThreeCrop boxes (test time): three size x size crops along the long side, in its
 * order left/top, right/bottom, middle. The short side must already equal `size`.
 */
export function threeCropBoxes(width: number, height: number, size: number): Box[] {
  if (height === size) {
    const step = Math.floor((width - size) / 2);
    return [0, 2 * step, step].map((x) => ({ x, y: 0, w: size, h: size }));
  }
  if (width === size) {
    const step = Math.floor((height - size) / 2);
    return [0, 2 * step, step].map((y) => ({ x: 0, y, w: size, h: size }));
  }
  throw new Error(`threeCrop: one side of the ${width}x${height} frame must equal the crop size ${size} (resize the short side to it first)`);
}

/**
 * mmaction2's RandomResizedCrop.get_crop_bbox: up to 10 tries of a random area fraction in
 * `areaRange` and a log-uniform aspect ratio in `aspectRange`; the first box that fits is placed at
 * a random position; if none fits, the centred square of the short side. The draws happen in
 * mmaction2's order (all aspect ratios, then all areas, then the position).
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  rng: Rng,
  areaRange: readonly [number, number] = [0.08, 1],
  aspectRange: readonly [number, number] = [3 / 4, 4 / 3],
  maxAttempts = 10,
): Box {
  const area = width * height;
  const ratios = Array.from({ length: maxAttempts }, () => Math.exp(rng.uniform(Math.log(aspectRange[0]), Math.log(aspectRange[1]))));
  const areas = Array.from({ length: maxAttempts }, () => rng.uniform(areaRange[0], areaRange[1]) * area);
  for (let k = 0; k < maxAttempts; k++) {
    const w = Math.round(Math.sqrt(areas[k] * ratios[k]));
    const h = Math.round(Math.sqrt(areas[k] / ratios[k]));
    if (w >= 1 && h >= 1 && w <= width && h <= height) {
      return { x: rng.intIn(0, width - w), y: rng.intIn(0, height - h), w, h };
    }
  }
  const s = Math.min(width, height);
  return { x: Math.floor((width - s) / 2), y: Math.floor((height - s) / 2), w: s, h: s };
}

/** Mirrors every frame left-right (mmaction2's Flip, direction "horizontal"). */
export function flipHorizontal(src: Frames): Frames {
  checkFrames(src, "flipHorizontal");
  const { width: W } = src;
  const out = new Uint8Array(src.data.length);
  const rows = src.frames * src.height;
  for (let r = 0; r < rows; r++) {
    const base = r * W * 3;
    for (let j = 0; j < W; j++) {
      const a = base + j * 3, b = base + (W - 1 - j) * 3;
      out[a] = src.data[b];
      out[a + 1] = src.data[b + 1];
      out[a + 2] = src.data[b + 2];
    }
  }
  return { ...src, data: out };
}

/**
 * (x - mean) / std per channel, into `out` at `offset` (a slice of a batch buffer) or a new array.
 * Returns the Float32Array written; the layout stays [T, H, W, 3].
 */
export function normalize(
  src: Frames,
  mean: readonly number[] = MMACTION_MEAN,
  std: readonly number[] = MMACTION_STD,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  checkFrames(src, "normalize");
  const n = src.data.length;
  const dst = out ?? new Float32Array(n);
  if (offset + n > dst.length) throw new Error(`normalize: ${n} values do not fit at offset ${offset} of a ${dst.length}-value buffer`);
  const inv = [1 / std[0], 1 / std[1], 1 / std[2]];
  for (let k = 0; k < n; k += 3) {
    dst[offset + k] = (src.data[k] - mean[0]) * inv[0];
    dst[offset + k + 1] = (src.data[k + 1] - mean[1]) * inv[1];
    dst[offset + k + 2] = (src.data[k + 2] - mean[2]) * inv[2];
  }
  return dst;
}

/** Undoes normalize() into displayable bytes (for plots of what the network sees). */
export function denormalize(values: Float32Array, mean: readonly number[] = MMACTION_MEAN, std: readonly number[] = MMACTION_STD): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = Math.min(255, Math.max(0, Math.round(values[k] * std[k % 3] + mean[k % 3])));
  return out;
}

/** The frames at `indices` (e.g. one clip of sampleFrames) out of a decoded video, in that order. */
export function gatherFrames(video: Frames, indices: readonly number[]): Frames {
  checkFrames(video, "gatherFrames");
  const fb = video.height * video.width * 3;
  const out = new Uint8Array(indices.length * fb);
  indices.forEach((f, k) => {
    if (!Number.isInteger(f) || f < 0 || f >= video.frames) throw new Error(`gatherFrames: index ${f} is outside the video's ${video.frames} frames`);
    out.set(video.data.subarray(f * fb, (f + 1) * fb), k * fb);
  });
  return { data: out, frames: indices.length, height: video.height, width: video.width };
}

/**
 * The loader's fast path, equal to normalize(flip?(cropResize(gatherFrames(video, indices), box,
 * outW, outH))) but in one pass without intermediate arrays: reads frames `indices` of `video`,
 * crops `box`, resizes bilinearly (rounding to bytes as cropResize does), mirrors when `flip`, and
 * writes normalised floats [indices.length, outH, outW, 3] into `out` at `offset`.
 */
export function augmentInto(
  video: Frames,
  indices: readonly number[],
  box: Box,
  outW: number,
  outH: number,
  flip: boolean,
  out: Float32Array,
  offset = 0,
  mean: readonly number[] = MMACTION_MEAN,
  std: readonly number[] = MMACTION_STD,
): void {
  checkFrames(video, "augmentInto");
  const { width: W, height: H } = video;
  if (box.x < 0 || box.y < 0 || box.w < 1 || box.h < 1 || box.x + box.w > W || box.y + box.h > H) {
    throw new Error(`augmentInto: box ${JSON.stringify(box)} is not inside the ${W}x${H} frame`);
  }
  if (offset + indices.length * outH * outW * 3 > out.length) throw new Error("augmentInto: output buffer too small");
  const taps = bilinearTaps(outW, box.x, box.w);
  const x0 = new Int32Array(outW), x1 = new Int32Array(outW), fx = new Float32Array(outW);
  for (let j = 0; j < outW; j++) {
    // Output column jj shows source column j: jj = j, or outW-1-j when mirrored. Offsets in bytes (RGB).
    const jj = flip ? outW - 1 - j : j;
    x0[jj] = taps.i0[j] * 3;
    x1[jj] = taps.i1[j] * 3;
    fx[jj] = taps.f[j];
  }
  const { i0: y0, i1: y1, f: fy } = bilinearTaps(outH, box.y, box.h);
  const inv = [1 / std[0], 1 / std[1], 1 / std[2]];
  const s = video.data;
  const fb = H * W * 3;
  let o = offset;
  for (const f of indices) {
    if (!Number.isInteger(f) || f < 0 || f >= video.frames) throw new Error(`augmentInto: index ${f} is outside the video's ${video.frames} frames`);
    const base = f * fb;
    for (let i = 0; i < outH; i++) {
      const r0 = base + y0[i] * W * 3, r1 = base + y1[i] * W * 3, wy = fy[i];
      for (let j = 0; j < outW; j++) {
        const a = x0[j], b = x1[j], wx = fx[j];
        for (let c = 0; c < 3; c++) {
          const top = s[r0 + a + c] + (s[r0 + b + c] - s[r0 + a + c]) * wx;
          const bot = s[r1 + a + c] + (s[r1 + b + c] - s[r1 + a + c]) * wx;
          out[o++] = (Math.round(top + (bot - top) * wy) - mean[c]) * inv[c];
        }
      }
    }
  }
}

/**
 * Lays the frames of a clip out side by side, `cols` per row, with a `gap`-pixel border of `fill`:
 * one RGB image { data [H, W, 3], width, height } for a notebook to show what each step did.
 */
export function tileFrames(src: Frames, cols = src.frames, gap = 1, fill = 255): { data: Uint8Array; width: number; height: number } {
  checkFrames(src, "tileFrames");
  const c = Math.max(1, Math.min(cols, src.frames));
  const rows = Math.ceil(src.frames / c);
  const width = c * src.width + (c + 1) * gap;
  const height = rows * src.height + (rows + 1) * gap;
  const data = new Uint8Array(width * height * 3).fill(fill);
  const row = src.width * 3;
  for (let t = 0; t < src.frames; t++) {
    const x = gap + (t % c) * (src.width + gap);
    const y = gap + Math.floor(t / c) * (src.height + gap);
    for (let i = 0; i < src.height; i++) {
      const from = (t * src.height + i) * row;
      data.set(src.data.subarray(from, from + row), ((y + i) * width + x) * 3);
    }
  }
  return { data, width, height };
}
