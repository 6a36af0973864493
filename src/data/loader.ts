// From clip entries to batch tensors, with decoding running ahead of training.
//
//   preflight(entries)     decodes every file once, before training starts, and sorts the entries
//                          into ok and bad (missing, empty, truncated, not a video, corrupt, too
//                          short), each bad one with a message naming its file
//   new ClipLoader(...)    batches(epoch) yields { clips [B*numClips, T, S, S, 3], labels [B] }
//
// Per video the loader runs mmaction2's pipeline (pipeline.ts): SampleFrames -> decode (ffmpeg
// resizes the short side on the way out) -> RandomResizedCrop + resize + flip (train) or centre /
// three crops (test) -> normalise. Every random draw comes from Rng.derive(seed, epoch, video index),
// so a batch is the same whatever order the decodes finish in, and the same on every run.
//
// Decoding overlaps training: up to `prefetch` batches are prepared while the caller trains on the
// current one. ffmpeg runs as child processes writing to a scratch file (video.ts, sink "file"), so
// they keep going while a synchronous training step blocks this thread; only the cheap crop and
// normalise steps run here. Decoded videos (after the short-side resize) are kept in a byte-bounded
// cache: a small data set such as synth-motion (~200 MB at 73x73) decodes once, and later epochs
// only sample and augment. Videos that no longer fit decode just the frames each clip needs. By
// default all loaders of the process share one cache (sharedFrameCache(): 1 GiB, or
// SLOWFAST_CACHE_MB), so a validation loader and a multi-clip test loader over the same test
// videos decode them once between them.
import { availableParallelism } from "node:os";
import { tf } from "../backend";
import { Limiter } from "../util/pool";
import {
  augmentInto,
  centerCropBox,
  defaultShortSide,
  randomResizedCropBox,
  shortSideSize,
  threeCropBoxes,
  type Box,
  type Frames,
} from "./pipeline";
import { Rng } from "./rng";
import { sampleFrames } from "./sampling";
import type { ClipEntry } from "./ucf101";
import { decodeAllFrames, decodeFrames, probeVideo, VideoError, type VideoInfo, type VideoProblem } from "./video";

export interface LoaderOptions {
  batchSize: number;
  /** Frames per clip (the fast pathway's T). */
  clipLen: number;
  frameInterval: number;
  /** Clips per video: 1 for training; e.g. 10 for mmaction2-style testing. */
  numClips: number;
  /** Output height and width (the crop). */
  size: number;
  mode: "train" | "test";
  seed: number;
  /** Batches prepared ahead of the one being consumed (default 2). */
  prefetch?: number;
  /** Shuffle every epoch (default: true in train mode, false in test mode). */
  shuffle?: boolean;
  /**
   * Random horizontal flip with probability 0.5 (train mode; default true). Give `false` for data
   * whose labels a mirror changes, e.g. synth-motion (MoveLeft <-> MoveRight): pass `...dataset.augment`.
   */
  flip?: boolean;
  /** RandomResizedCrop's area range (default mmaction2's [0.08, 1]). */
  areaRange?: [number, number];
  /** RandomResizedCrop's aspect-ratio range (default [3/4, 4/3]). */
  aspectRange?: [number, number];
  /** Short side after the first resize (default round(size * 256/224), mmaction2's ratio). */
  shortSide?: number;
  /** Test mode: 1 centre crop (default) or 3 crops along the long side (mmaction2's ThreeCrop). */
  crops?: 1 | 3;
  /**
   * A private cache of this many bytes of decoded frames (0 turns caching off). Default: the
   * process-wide cache shared by all loaders, `sharedFrameCache()` (1 GiB, or SLOWFAST_CACHE_MB).
   */
  cacheBytes?: number;
  /** ffmpeg processes at once (default: available CPU cores). */
  concurrency?: number;
  /** Drop a last partial batch (default: true in train mode when there is at least one full batch). */
  dropLast?: boolean;
}

export interface Batch {
  /** [B*numClips*crops, clipLen, size, size, 3] normalised float32, NDHWC; view i is of video floor(i / (numClips*crops)). */
  clips: tf.Tensor5D;
  /** [B] int32 labels. */
  labels: tf.Tensor1D;
  entries: ClipEntry[];
}

export interface LoaderStats {
  /** Clips (views) prepared since the loader was made. */
  clips: number;
  /** Wall-clock seconds during which at least one video was being prepared. */
  busySeconds: number;
  /** Seconds the consumer spent waiting in batches() for a batch that was not ready yet. */
  waitSeconds: number;
  cacheHits: number;
  cacheMisses: number;
  /** Bytes and videos held by this loader's cache (the shared one counts every loader's videos). */
  cacheBytes: number;
  cachedVideos: number;
  /** Entries dropped from batches because their file failed to decode (see `skipped`). */
  skipped: number;
}

/**
 * Decoded videos after the short-side resize, up to a byte budget. Admission is first come, first
 * kept, with no eviction: with shuffled epochs LRU would keep throwing out what the next epoch needs,
 * while a fixed resident set serves its share of every epoch from memory.
 */
export class FrameCache {
  private videos = new Map<string, Frames>();
  private inflight = new Map<string, Promise<Frames>>();
  private used = 0;
  constructor(readonly budget: number) {}

  /**
   * The video under `key`: from memory, from a decode already running, or by running `decode` when
   * `bytes` more still fit (undefined when they do not: the caller decodes only what it needs).
   */
  async load(key: string, bytes: number, decode: () => Promise<Frames>): Promise<{ frames: Frames; hit: boolean } | undefined> {
    const hit = this.videos.get(key);
    if (hit) return { frames: hit, hit: true };
    const running = this.inflight.get(key);
    if (running) return { frames: await running, hit: true };
    if (this.used + bytes > this.budget) return undefined;
    this.used += bytes;
    const p = decode()
      .then((frames) => {
        this.used += frames.data.byteLength - bytes;
        this.videos.set(key, frames);
        return frames;
      })
      .catch((err: unknown) => {
        this.used -= bytes;
        throw err;
      })
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return { frames: await p, hit: false };
  }

  get bytes(): number {
    return this.used;
  }
  get size(): number {
    return this.videos.size;
  }
  clear(): void {
    this.videos.clear();
    this.used = 0;
  }
}

let shared: FrameCache | undefined;

/** The cache every loader uses unless given `cacheBytes`: 1 GiB, or SLOWFAST_CACHE_MB megabytes. */
export function sharedFrameCache(): FrameCache {
  if (!shared) {
    const mb = Number(process.env.SLOWFAST_CACHE_MB ?? 1024);
    shared = new FrameCache(Number.isFinite(mb) && mb >= 0 ? mb * 2 ** 20 : 2 ** 30);
  }
  return shared;
}

/** One prepared video: its views as normalised floats, or the reason it failed. */
type Prepared = { ok: true; entry: ClipEntry; views: Float32Array[] } | { ok: false; entry: ClipEntry; error: string };

export class ClipLoader {
  readonly batchesPerEpoch: number;
  /** Entries that failed while loading (after preflight), with the message; each is dropped from its batch. */
  readonly skipped: { entry: ClipEntry; epoch: number; error: string }[] = [];
  private readonly o: Required<Omit<LoaderOptions, "shuffle" | "dropLast" | "cacheBytes">> & { shuffle: boolean; dropLast: boolean };
  private readonly cache: FrameCache;
  private readonly limiter: Limiter;
  private st = { clips: 0, busyMs: 0, waitMs: 0, hits: 0, misses: 0 };
  private active = 0;
  private busySince = 0;

  constructor(
    readonly entries: ClipEntry[],
    opts: LoaderOptions,
  ) {
    for (const k of ["batchSize", "clipLen", "frameInterval", "numClips", "size"] as const) {
      if (!Number.isInteger(opts[k]) || opts[k] <= 0) throw new Error(`ClipLoader: ${k} must be a positive integer, got ${opts[k]}`);
    }
    if (opts.mode !== "train" && opts.mode !== "test") throw new Error(`ClipLoader: mode must be "train" or "test", got ${String(opts.mode)}`);
    if (entries.length === 0) throw new Error("ClipLoader: no clips to load (empty entry list)");
    const train = opts.mode === "train";
    const crops = opts.crops ?? 1;
    if (crops !== 1 && crops !== 3) throw new Error(`ClipLoader: crops must be 1 or 3, got ${String(crops)}`);
    if (crops === 3 && train) throw new Error("ClipLoader: three crops are a test-time view; use crops 1 in train mode");
    this.o = {
      ...opts,
      prefetch: Math.max(0, opts.prefetch ?? 2),
      shuffle: opts.shuffle ?? train,
      flip: opts.flip ?? true,
      areaRange: opts.areaRange ?? [0.08, 1],
      aspectRange: opts.aspectRange ?? [3 / 4, 4 / 3],
      // ThreeCrop needs the short side equal to the crop (mmaction2 asserts it).
      shortSide: crops === 3 ? opts.size : (opts.shortSide ?? defaultShortSide(opts.size)),
      crops,
      concurrency: Math.max(1, opts.concurrency ?? availableParallelism()),
      dropLast: opts.dropLast ?? (train && entries.length >= opts.batchSize),
    };
    if (this.o.shortSide < this.o.size) throw new Error(`ClipLoader: shortSide ${this.o.shortSide} is smaller than the crop size ${this.o.size}`);
    this.cache = opts.cacheBytes === undefined ? sharedFrameCache() : new FrameCache(opts.cacheBytes);
    this.limiter = new Limiter(this.o.concurrency);
    const n = entries.length;
    this.batchesPerEpoch = this.o.dropLast ? Math.floor(n / opts.batchSize) : Math.ceil(n / opts.batchSize);
  }

  /** Views per video in a batch (numClips x crops). */
  get viewsPerVideo(): number {
    return this.o.numClips * this.o.crops;
  }

  /** Clips (views) prepared per second of preparation time: what the data side can sustain. */
  clipsPerSecond(): number {
    const busy = this.busyMs();
    return busy > 0 ? (this.st.clips * 1000) / busy : 0;
  }

  stats(): LoaderStats {
    return {
      clips: this.st.clips,
      busySeconds: this.busyMs() / 1000,
      waitSeconds: this.st.waitMs / 1000,
      cacheHits: this.st.hits,
      cacheMisses: this.st.misses,
      cacheBytes: this.cache.bytes,
      cachedVideos: this.cache.size,
      skipped: this.skipped.length,
    };
  }

  /** The entry indices of each batch of `epoch`, in order (deterministic under seed and epoch). */
  epochOrder(epoch: number): number[][] {
    const idx = [...this.entries.keys()];
    const order = this.o.shuffle ? Rng.derive(this.o.seed, epoch, 0x5eed).shuffled(idx) : idx;
    const out: number[][] = [];
    for (let b = 0; b < this.batchesPerEpoch; b++) out.push(order.slice(b * this.o.batchSize, (b + 1) * this.o.batchSize));
    return out;
  }

  /**
   * The batches of one epoch. Tensors are made only when a batch is handed out, and the caller
   * disposes them; leaving the loop early leaves no tensor behind (decodes already running finish
   * and are dropped).
   */
  async *batches(epoch: number): AsyncGenerator<Batch> {
    const plan = this.epochOrder(epoch);
    const pending: Promise<Prepared[]>[] = [];
    let next = 0;
    const fill = () => {
      while (next < plan.length && pending.length <= this.o.prefetch) {
        const p = Promise.all(plan[next++].map((i) => this.prepare(epoch, i)));
        pending.push(p);
      }
    };
    fill();
    while (pending.length > 0) {
      const t0 = performance.now();
      const prepared = await pending.shift()!;
      this.st.waitMs += performance.now() - t0;
      fill();
      const good = prepared.filter((p): p is Extract<Prepared, { ok: true }> => p.ok);
      for (const p of prepared) if (!p.ok) this.skipped.push({ entry: p.entry, epoch, error: p.error });
      if (good.length === 0) continue;
      yield this.toBatch(good);
    }
  }

  private toBatch(good: Extract<Prepared, { ok: true }>[]): Batch {
    const { clipLen, size } = this.o;
    const per = clipLen * size * size * 3;
    const views = good.flatMap((p) => p.views);
    const data = new Float32Array(views.length * per);
    views.forEach((v, k) => data.set(v, k * per));
    return {
      clips: tf.tensor5d(data, [views.length, clipLen, size, size, 3], "float32"),
      labels: tf.tensor1d(Int32Array.from(good.map((p) => p.entry.label)), "int32"),
      entries: good.map((p) => p.entry),
    };
  }

  private busyMs(): number {
    return this.st.busyMs + (this.active > 0 ? performance.now() - this.busySince : 0);
  }

  /** Samples, decodes and augments every view of entry `i` for `epoch`; never rejects. */
  private async prepare(epoch: number, i: number): Promise<Prepared> {
    const entry = this.entries[i];
    if (this.active++ === 0) this.busySince = performance.now();
    try {
      const views = await this.views(entry, Rng.derive(this.o.seed, epoch, i));
      this.st.clips += views.length;
      return { ok: true, entry, views };
    } catch (err) {
      return { ok: false, entry, error: err instanceof Error ? err.message : String(err) };
    } finally {
      if (--this.active === 0) this.st.busyMs += performance.now() - this.busySince;
    }
  }

  private async views(entry: ClipEntry, rng: Rng): Promise<Float32Array[]> {
    const { clipLen, frameInterval, numClips, size, mode } = this.o;
    const train = mode === "train";
    const info = await this.limiter.run(() => probeVideo(entry.path)); // instant after preflight
    const out = shortSideSize(info.width, info.height, this.o.shortSide);
    const video = await this.cachedVideo(entry.path, info, out);
    const total = video ? video.frames : info.frames;
    // rng draws: SampleFrames offsets, then the crop box, then the flip (mmaction2's order).
    const clips = sampleFrames(total, { clipLen, frameInterval, numClips }, train ? rng : undefined);
    // `frames` holds the video's frames; clip c reads frames at idx[c].
    let frames: Frames;
    let idx: number[][];
    if (video) {
      frames = video;
      idx = clips;
    } else {
      const d = await this.limiter.run(() => decodeFrames(entry.path, clips.flat(), info, { outSize: out, sink: "file" }));
      frames = { data: d.data, frames: d.frames, height: d.height, width: d.width };
      idx = clips.map((_, c) => Array.from({ length: clipLen }, (_, k) => c * clipLen + k));
    }
    let boxes: Box[];
    let flip = false;
    if (train) {
      boxes = [randomResizedCropBox(out.width, out.height, rng, this.o.areaRange, this.o.aspectRange)];
      flip = this.o.flip && rng.chance(0.5);
    } else {
      boxes = this.o.crops === 3 ? threeCropBoxes(out.width, out.height, size) : [centerCropBox(out.width, out.height, size)];
    }
    // Views in clip-major order: clip 0 crop 0, clip 0 crop 1, ..., so view v is clip floor(v / crops).
    // augmentInto = normalize(flip(cropResize(gatherFrames(...)))) in one pass (pipeline.ts).
    const views: Float32Array[] = [];
    for (let c = 0; c < numClips; c++) {
      for (const box of boxes) {
        const v = new Float32Array(clipLen * size * size * 3);
        augmentInto(frames, idx[c], box, size, size, flip, v);
        views.push(v);
      }
    }
    return views;
  }

  /** The whole decoded video from the cache, decoding it into the cache if it fits; undefined if not. */
  private async cachedVideo(path: string, info: VideoInfo, out: { width: number; height: number }): Promise<Frames | undefined> {
    const key = `${path}@${out.width}x${out.height}`;
    const bytes = info.frames * out.width * out.height * 3;
    const got = await this.cache.load(key, bytes, async () => {
      const d = await this.limiter.run(() => decodeAllFrames(path, info, info.frames, { outSize: out, sink: "file" }));
      // A copy, so the cache never pins a larger buffer that the decode's array is a view of.
      return { data: d.data.slice(), frames: d.frames, height: d.height, width: d.width };
    });
    if (got?.hit) this.st.hits++;
    else this.st.misses++;
    return got?.frames;
  }
}

/** A clip preflight turned away: `problem` says whether it is absent ("missing") or there but unreadable. */
export interface BadClip {
  entry: ClipEntry;
  error: string;
  problem: VideoProblem | "other";
}

export interface PreflightResult {
  ok: ClipEntry[];
  bad: BadClip[];
}

/**
 * Checks every file before training starts (one decode each, shared with the loader through
 * probeVideo): missing, empty, truncated, not a video, undecodable, or shorter than one frame
 * interval (mmaction2 would loop such a clip into frameInterval copies of almost nothing). Shorter
 * than a whole clip is fine: SampleFrames loops, as mmaction2 does. Never throws for a bad file.
 */
export async function preflight(
  entries: ClipEntry[],
  opts: { clipLen: number; frameInterval: number; concurrency?: number; onProgress?: (done: number, total: number) => void },
): Promise<PreflightResult> {
  const limiter = new Limiter(Math.max(1, opts.concurrency ?? availableParallelism()));
  let done = 0;
  const results = await Promise.all(
    entries.map((entry) =>
      limiter.run(async () => {
        let bad: BadClip | undefined;
        try {
          const info = await probeVideo(entry.path);
          if (info.frames < opts.frameInterval) {
            bad = { entry, problem: "too_short", error: new VideoError(entry.path, "too_short", `too short: ${info.frames} frame(s), fewer than one frame interval (${opts.frameInterval})`).message };
          }
        } catch (err) {
          bad = { entry, problem: err instanceof VideoError ? err.problem : "other", error: err instanceof Error ? err.message : String(err) };
        }
        opts.onProgress?.(++done, entries.length);
        return { entry, bad };
      }),
    ),
  );
  return { ok: results.filter((r) => !r.bad).map((r) => r.entry), bad: results.flatMap((r) => (r.bad ? [r.bad] : [])) };
}

/** Clips absent from disk vs clips there but unreadable (what `slowfast data check` counts too). */
export function countBad(bad: Pick<BadClip, "problem">[]): { missing: number; unreadable: number } {
  const missing = bad.filter((b) => b.problem === "missing").length;
  return { missing, unreadable: bad.length - missing };
}

/**
 * One line for logs: "32 of 33 clips skipped: 2 unreadable (<msg>; <msg>); 30 missing (first: <msg>)".
 * The unreadable ones come first and are named (up to 5): on a partial tree they are the few that
 * matter among thousands of missing ones.
 */
export function describeBad(bad: Pick<BadClip, "error" | "problem">[], total: number): string {
  if (bad.length === 0) return `all ${total} clips readable`;
  const missing = bad.filter((b) => b.problem === "missing");
  const broken = bad.filter((b) => b.problem !== "missing");
  const parts: string[] = [];
  if (broken.length > 0) parts.push(`${broken.length} unreadable (${broken.slice(0, 5).map((b) => b.error).join("; ")}${broken.length > 5 ? `; +${broken.length - 5} more` : ""})`);
  if (missing.length > 0) parts.push(`${missing.length} missing (first: ${missing[0].error})`);
  return `${bad.length} of ${total} clips skipped: ${parts.join("; ")}`;
}
