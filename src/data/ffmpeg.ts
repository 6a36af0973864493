// Finding and running the ffmpeg binary. Every decode and encode in data/ goes through here.
//
// Order of preference:
//   1. SLOWFAST_FFMPEG=/path/to/ffmpeg (explicit override),
//   2. the static binary shipped by the npm package @ffmpeg-installer/ffmpeg (a dependency),
//   3. `ffmpeg` on PATH.
// ffprobe is deliberately not needed: @ffmpeg-installer ships ffmpeg only, so sizes, fps and frame
// counts are read from `ffmpeg -i` and from decoding (see video.ts).
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface FfmpegBinary {
  path: string;
  source: "env" | "@ffmpeg-installer/ffmpeg" | "PATH";
}

let cached: FfmpegBinary | undefined;

function works(path: string): boolean {
  const r = spawnSync(path, ["-hide_banner", "-version"], { stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 });
  return r.status === 0;
}

/** The ffmpeg to use; throws a message that says how to get one when none works. */
export function ffmpegBinary(): FfmpegBinary {
  if (cached) return cached;
  const tried: string[] = [];
  const env = process.env.SLOWFAST_FFMPEG;
  if (env) {
    if (works(env)) return (cached = { path: env, source: "env" });
    tried.push(`SLOWFAST_FFMPEG=${env} (does not run)`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pkg = require("@ffmpeg-installer/ffmpeg") as { path: string };
    if (existsSync(pkg.path) && works(pkg.path)) return (cached = { path: pkg.path, source: "@ffmpeg-installer/ffmpeg" });
    tried.push(`@ffmpeg-installer/ffmpeg at ${pkg.path} (does not run)`);
  } catch (err) {
    // The package throws a plain string when it has no binary for this platform.
    tried.push(`@ffmpeg-installer/ffmpeg (${err instanceof Error ? err.message : String(err)})`);
  }
  if (works("ffmpeg")) return (cached = { path: "ffmpeg", source: "PATH" });
  tried.push("ffmpeg on PATH (not found)");
  throw new Error(`no working ffmpeg: tried ${tried.join("; ")}. Run \`npm install\`, install ffmpeg, or set SLOWFAST_FFMPEG`);
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs ffmpeg to completion with `args`, optionally writing `stdin`; collects stdout and stderr.
 * Never rejects on a non-zero exit: callers turn `code`/`stderr` into a message naming their file.
 */
export function runFfmpeg(args: string[], opts: { stdin?: Buffer | Uint8Array; timeoutMs?: number } = {}): Promise<RunResult> {
  const bin = ffmpegBinary().path;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ["-hide_banner", "-nostdin", ...args], {
      stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs);
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(new Error(`could not start ffmpeg (${bin}): ${e.message}`));
    });
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
    if (opts.stdin) {
      child.stdin!.on("error", () => undefined); // ffmpeg exiting early closes the pipe; its stderr says why
      child.stdin!.end(opts.stdin);
    }
  });
}

/** The first meaningful line of ffmpeg's stderr, for error messages. */
export function firstError(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^(frame|fps|stream_|bitrate|total_size|out_time|dup_frames|drop_frames|speed|progress)=/.test(l));
  return lines[0] ?? "(no message)";
}
