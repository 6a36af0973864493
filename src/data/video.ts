// Video files in, RGB frames out, through ffmpeg child processes.
//
//   inspectVideo(path)                 decode the whole file once: frame count, size, fps, or a
//                                      VideoError naming the file and what is wrong with it
//   probeVideo(path)                   inspectVideo, remembered per (path, size, mtime): the loader
//                                      and preflight share one decode per file per process
//   decodeFrames(path, indices, size)  only the frames asked for, as one Uint8Array
//                                      [indices.length, height, width, 3] (RGB, 0..255)
//   decodeAllFrames(path, size)        every frame, e.g. to keep a small video in the frame cache
// Both decoders can have ffmpeg resize on the way out (`outSize`), which is how the loader does
// mmaction2's "resize short side" step: far cheaper than moving full-size frames into JS.
//
// Frame index i means the i-th decoded frame (0-based), which is what mmaction2's decord backend
// indexes and what ffmpeg's select filter calls `n`.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { readAviHeader } from "./avi";
import { ffmpegBinary, firstError, runFfmpeg } from "./ffmpeg";

export interface FrameSize {
  width: number;
  height: number;
}

export interface VideoInfo extends FrameSize {
  path: string;
  /** Frames that decode (counted, not estimated from the duration). */
  frames: number;
  fps: number;
  codec: string;
  /** Set when ffmpeg reported decoder errors but still decoded every frame. */
  warning?: string;
}

/** Everything that can be wrong with one video file; the message always starts with the path. */
export type VideoProblem = "missing" | "empty" | "truncated" | "not_video" | "corrupt" | "too_short";

export class VideoError extends Error {
  constructor(
    readonly path: string,
    readonly problem: VideoProblem,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = "VideoError";
  }
}

/**
 * One decoder thread and one filter thread per ffmpeg: the loader runs several ffmpegs at once, and
 * for clips this small thread start-up costs more than it saves (measured: 30 ms instead of 42 ms
 * for an 80x80 synth clip, 51 instead of 70 ms for a 320x240 UCF101 clip).
 */
const ONE_THREAD = ["-threads", "1", "-filter_threads", "1"];

/** Parses ffmpeg's "Stream #0:0: Video: mpeg4 (...), yuv420p, 320x240 [SAR 1:1 DAR 4:3], 25 fps" line. */
export function parseStreamLine(stderr: string): { codec: string; width: number; height: number; fps: number } | undefined {
  const line = stderr.split(/\r?\n/).find((l) => /Stream #\d+:\d+.*: Video: /.test(l));
  if (!line) return undefined;
  const codec = /Video: ([\w-]+)/.exec(line)?.[1] ?? "unknown";
  const size = /\b(\d{2,5})x(\d{2,5})\b/.exec(line);
  const fps = /([\d.]+) fps/.exec(line) ?? /([\d.]+)k? tbr/.exec(line);
  if (!size) return undefined;
  return { codec, width: Number(size[1]), height: Number(size[2]), fps: fps ? Number(fps[1]) : 0 };
}

/**
 * Decodes `path` once (video stream only, to ffmpeg's null muxer) and reports what it holds.
 * Throws VideoError for a missing, empty, truncated, non-video or corrupt file. Cost: one full
 * decode, ~20-50 ms for a UCF101 clip.
 */
export async function inspectVideo(path: string): Promise<VideoInfo> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new VideoError(path, "missing", "file not found");
  if (!st.isFile()) throw new VideoError(path, "not_video", "not a regular file");
  if (st.size === 0) throw new VideoError(path, "empty", "empty file (0 bytes)");
  const avi = await readAviHeader(path);
  if (avi && avi.declaredBytes > st.size) {
    throw new VideoError(path, "truncated", `truncated: its AVI header declares ${avi.declaredBytes} bytes but the file has ${st.size}`);
  }
  // level+info prefixes every stderr line with its level, so decoder errors can be told from the
  // stream description printed at info level; -progress writes the final frame count to stdout.
  // -vsync 0 (passthrough) counts decoded frames exactly as decodeFrames numbers them: the default
  // constant-rate sync would duplicate or drop frames around timestamp gaps.
  const r = await runFfmpeg(["-v", "level+info", "-nostats", ...ONE_THREAD, "-i", path, "-map", "0:v:0", "-vsync", "0", "-f", "null", "-progress", "pipe:1", "-"], {
    timeoutMs: 120_000,
  });
  const stream = parseStreamLine(r.stderr);
  const errors = r.stderr.split(/\r?\n/).filter((l) => l.includes("[error]") || l.includes("[fatal]"));
  if (!stream) {
    const why = errors.length > 0 ? firstError(errors.join("\n").replace(/\[(error|fatal)\]\s*/g, "")) : "no video stream";
    throw new VideoError(path, "not_video", `not a readable video (${why.replace(`${path}: `, "")})`);
  }
  const why = () => firstError(errors.join("\n").replace(/\[(error|fatal)\]\s*/g, "") || r.stderr).replace(`${path}: `, "");
  if (r.code !== 0) throw new VideoError(path, "corrupt", `decoding failed (${why()})`);
  const counts = [...r.stdout.toString("utf8").matchAll(/^frame=(\d+)/gm)];
  const frames = counts.length > 0 ? Number(counts[counts.length - 1][1]) : 0;
  if (frames === 0) throw new VideoError(path, "corrupt", `no frame decodes${errors.length > 0 ? ` (${why()})` : ""}`);
  // Decoder errors that cost frames (fewer decode than the AVI header declares) mean a damaged
  // file; errors in a file that still decodes to the end (a damaged macroblock, say) are kept as a
  // warning, not a rejection: mmaction2's decoders would train on such a clip too.
  if (errors.length > 0 && avi && avi.totalFrames > frames) {
    throw new VideoError(path, "corrupt", `damaged: ${frames} of the ${avi.totalFrames} frames its AVI header declares decode (${why()})`);
  }
  return {
    path, frames, width: stream.width, height: stream.height, fps: stream.fps, codec: stream.codec,
    ...(errors.length > 0 && { warning: `${errors.length} decoder error line(s), first: ${why()}` }),
  };
}

/**
 * ffmpeg select expression keeping exactly the frames in `sorted` (unique, ascending): runs of
 * consecutive indices become between(n,a,b), lone ones eq(n,a).
 */
export function selectExpression(sorted: readonly number[]): string {
  const terms: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    terms.push(i === j ? `eq(n,${sorted[i]})` : `between(n,${sorted[i]},${sorted[j]})`);
    i = j + 1;
  }
  return terms.join("+");
}

export interface DecodedFrames extends FrameSize {
  /** [frames, height, width, 3] RGB bytes, one frame per requested index, in request order. */
  data: Uint8Array;
  frames: number;
}

export interface DecodeOptions {
  /** Resize every frame to this size inside ffmpeg (bilinear); default: the video's own size. */
  outSize?: FrameSize;
  /**
   * "pipe" streams ffmpeg's stdout into the array as it arrives. "file" lets ffmpeg write to a
   * temporary file (in /dev/shm when there is one) and reads it when ffmpeg exits: ffmpeg then
   * never waits for this process's event loop, so decoding truly overlaps a blocking training
   * step (a pipe holds only 64 KiB, about three 96x72 frames). "file" also starts ffmpeg through
   * the spawn helper process (ffmpeg.ts), so not even the fork happens on this thread. The loader
   * uses "file"; "pipe" suits one-off decodes in a notebook.
   */
  sink?: "pipe" | "file";
  timeoutMs?: number;
}

const SCRATCH_DIR = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

/**
 * Decodes only the frames at `indices` (any order, repeats allowed, e.g. mmaction2's looped
 * indices) from `path`, whose frame size must be `size` (from inspectVideo). ffmpeg decodes up to
 * the last index needed and stops; the select filter drops the other frames before the RGB
 * conversion. Returns [indices.length, H, W, 3].
 */
export async function decodeFrames(path: string, indices: readonly number[], size: FrameSize, opts: DecodeOptions = {}): Promise<DecodedFrames> {
  if (indices.length === 0) throw new Error(`${path}: no frame indices to decode`);
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  if (unique[0] < 0 || !unique.every(Number.isInteger)) throw new Error(`${path}: frame indices must be integers >= 0, got ${unique[0]}`);
  const out = opts.outSize ?? size;
  const frameBytes = out.width * out.height * 3;
  const want = unique.length * frameBytes;
  const filters = [`select='${selectExpression(unique)}'`, ...scaleFilter(size, out)];
  const { got, stderr } = await runDecode(path, filters, unique.length, want, opts);
  if (got.byteLength < want) {
    const decoded = Math.floor(got.byteLength / frameBytes);
    const why = stderr.trim() ? `; ffmpeg: ${firstError(stderr)}` : "";
    throw new VideoError(path, "corrupt", `decoded ${decoded} of the ${unique.length} frames asked for (last index ${unique[unique.length - 1]})${why}`);
  }
  // Expand the unique frames into request order: out[k] = frame indices[k].
  const slot = new Map(unique.map((f, k) => [f, k] as const));
  const data = new Uint8Array(indices.length * frameBytes);
  indices.forEach((f, k) => {
    const s = slot.get(f)! * frameBytes;
    data.set(got.subarray(s, s + frameBytes), k * frameBytes);
  });
  return { data, frames: indices.length, width: out.width, height: out.height };
}

/**
 * Decodes every frame of `path` (frame size `size`, from inspectVideo), optionally resized by
 * ffmpeg to `opts.outSize`. Returns [frames, H, W, 3]; `expectFrames` (e.g. inspectVideo's count)
 * preallocates the pipe buffer and is checked against what decodes.
 */
export async function decodeAllFrames(path: string, size: FrameSize, expectFrames: number, opts: DecodeOptions = {}): Promise<DecodedFrames> {
  const out = opts.outSize ?? size;
  const frameBytes = out.width * out.height * 3;
  const { got, stderr } = await runDecode(path, scaleFilter(size, out), undefined, expectFrames * frameBytes, opts);
  const frames = Math.floor(got.byteLength / frameBytes);
  if (frames === 0 || frames < expectFrames) {
    const why = stderr.trim() ? `; ffmpeg: ${firstError(stderr)}` : "";
    throw new VideoError(path, "corrupt", `decoded ${frames} of its ${expectFrames} frames${why}`);
  }
  return { data: got.subarray(0, frames * frameBytes), frames, width: out.width, height: out.height };
}

function scaleFilter(size: FrameSize, out: FrameSize): string[] {
  return out.width === size.width && out.height === size.height ? [] : [`scale=${out.width}:${out.height}:flags=bilinear`];
}

/** One ffmpeg decode to raw RGB through the chosen sink; `want` bytes are kept at most. */
async function runDecode(path: string, filters: string[], maxFrames: number | undefined, want: number, opts: DecodeOptions): Promise<{ got: Uint8Array; stderr: string }> {
  const sink = opts.sink ?? "pipe";
  const target = sink === "file" ? join(SCRATCH_DIR, `slowfast-${process.pid}-${randomBytes(6).toString("hex")}.rgb`) : "pipe:1";
  const args = [
    "-hide_banner", "-nostdin", "-v", "error", ...ONE_THREAD, "-i", path, "-map", "0:v:0",
    ...(filters.length > 0 ? ["-vf", filters.join(",")] : []),
    "-vsync", "0", ...(maxFrames !== undefined ? ["-frames:v", String(maxFrames)] : []),
    "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", target,
  ];
  const timeoutMs = opts.timeoutMs ?? 120_000;
  if (sink === "pipe") return streamInto(args, want, timeoutMs);
  try {
    const r = await runFfmpeg(args.slice(2), { timeoutMs });
    const buf = await readFile(target).catch(() => Buffer.alloc(0));
    return { got: new Uint8Array(buf.buffer, buf.byteOffset, Math.min(buf.byteLength, want)), stderr: r.stderr };
  } finally {
    await unlink(target).catch(() => undefined);
  }
}

const probed = new Map<string, { key: string; info: Promise<VideoInfo> }>();

/**
 * inspectVideo, remembered for the life of the process while the file's size and mtime stay the
 * same. preflight() fills it, so the loader knows every frame count without decoding again.
 * Failures are remembered too (a broken file stays broken until it changes).
 */
export async function probeVideo(path: string): Promise<VideoInfo> {
  const st = await stat(path).catch(() => undefined);
  const key = st ? `${st.size}:${st.mtimeMs}` : "missing";
  const hit = probed.get(path);
  if (hit && hit.key === key) return hit.info;
  const info = inspectVideo(path);
  probed.set(path, { key, info });
  info.catch(() => undefined); // the caller sees the rejection; the memo must not be an unhandled one
  return info;
}

/** Spawns ffmpeg and copies its stdout straight into one preallocated array of `want` bytes. */
function streamInto(args: string[], want: number, timeoutMs: number): Promise<{ got: Uint8Array; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegBinary().path, args, { stdio: ["ignore", "pipe", "pipe"] });
    const buf = new Uint8Array(want);
    let filled = 0;
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      const n = Math.min(chunk.byteLength, want - filled);
      buf.set(chunk.subarray(0, n), filled);
      filled += n;
    });
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start ffmpeg: ${e.message}`));
    });
    child.on("close", () => {
      clearTimeout(timer);
      resolve({ got: buf.subarray(0, filled), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}
