// Finding and running the ffmpeg binary. Every decode and encode in data/ goes through here.
//
// Order of preference:
//   1. SLOWFAST_FFMPEG=/path/to/ffmpeg (explicit override; SLOWFAST_FFMPEG=ffmpeg picks the system one),
//   2. the static binary shipped by the npm package @ffmpeg-installer/ffmpeg (a dependency; a 2018 build),
//   3. `ffmpeg` on PATH (the system one).
// Why the old static build before the distribution's: a training run starts ffmpeg ~1,600 times
// (probe + decode per clip), and the dynamically linked system ffmpeg takes ~83 ms to start here
// against ~5 ms for the static one (30 runs of `ffmpeg -version`, Debian 12's ffmpeg 5.1). Preferring
// the system one made `npm start` take 325 s instead of 214 s (the first epoch 44 s instead of 15 s).
// ffprobe is deliberately not needed: @ffmpeg-installer ships ffmpeg only, so sizes, fps and frame
// counts are read from `ffmpeg -i` and from decoding (see video.ts).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { spawnCollect } from "../util/spawn";

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

// Why a helper process. Starting a child process blocks the calling thread for the whole
// fork+exec: measured 15-35 ms per ffmpeg here. The loader starts one or two ffmpegs per video, so
// spawning from the training process would steal most of an uncached epoch's main-thread time from
// training (a profile showed ChildProcess.spawn as the top entry). Instead, one small Node process,
// started once, spawns the ffmpegs and reports back over IPC; the training thread only sends and
// receives short messages. SLOWFAST_FFMPEG_HELPER=0 turns it off (plain spawns from this process).
const HELPER_SOURCE = `
const { spawn } = require("node:child_process");
process.on("message", (m) => {
  let done = false;
  const reply = (msg) => { if (!done) { done = true; process.send({ id: m.id, ...msg }); } };
  const child = spawn(m.bin, m.args, { stdio: ["ignore", "pipe", "pipe"] });
  const out = [], err = [];
  const timer = m.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), m.timeoutMs) : undefined;
  child.stdout.on("data", (b) => out.push(b));
  child.stderr.on("data", (b) => err.push(b));
  child.on("error", (e) => { clearTimeout(timer); reply({ error: e.message }); });
  child.on("close", (code) => { clearTimeout(timer); reply({ code, stdout: Buffer.concat(out).toString("base64"), stderr: Buffer.concat(err).toString("utf8") }); });
});
process.on("disconnect", () => process.exit(0));
`;

interface HelperReply {
  id: number;
  code?: number | null;
  stdout?: string;
  stderr?: string;
  error?: string;
}

class SpawnHelper {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (r: RunResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  dead = false;

  constructor() {
    this.child = spawn(process.execPath, ["-e", HELPER_SOURCE], { stdio: ["ignore", "ignore", "inherit", "ipc"], env: { ...process.env, NODE_OPTIONS: "" } });
    this.child.on("message", (m: HelperReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.idle();
      if (m.error !== undefined) p.reject(new Error(`could not start ffmpeg: ${m.error}`));
      else p.resolve({ code: m.code ?? null, stdout: Buffer.from(m.stdout ?? "", "base64"), stderr: m.stderr ?? "" });
    });
    const fail = (why: string) => {
      this.dead = true;
      for (const p of this.pending.values()) p.reject(new Error(`ffmpeg helper process ${why}`));
      this.pending.clear();
    };
    this.child.on("exit", (code, signal) => fail(`exited (${signal ?? code})`));
    this.child.on("error", (e) => fail(`failed: ${e.message}`));
    this.idle();
  }

  /** While nothing is pending, the helper must not keep this process alive. */
  private idle(): void {
    if (this.pending.size > 0) return;
    this.child.unref();
    (this.child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  run(bin: string, args: string[], timeoutMs?: number): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.child.ref();
      (this.child.channel as { ref?: () => void } | undefined)?.ref?.();
      this.child.send({ id, bin, args, timeoutMs }, (err) => {
        if (err && this.pending.delete(id)) reject(new Error(`ffmpeg helper process: ${err.message}`));
      });
    });
  }
}

let helper: SpawnHelper | undefined;

function spawnHelper(): SpawnHelper | undefined {
  if (process.env.SLOWFAST_FFMPEG_HELPER === "0") return undefined;
  if (!helper || helper.dead) {
    try {
      helper = new SpawnHelper();
    } catch {
      return undefined;
    }
  }
  return helper;
}

/**
 * Runs ffmpeg to completion with `args`, optionally writing `stdin`; collects stdout and stderr.
 * Never rejects on a non-zero exit: callers turn `code`/`stderr` into a message naming their file.
 * Without stdin it runs through the spawn helper process (see above); with stdin, directly.
 */
export async function runFfmpeg(args: string[], opts: { stdin?: Buffer | Uint8Array; timeoutMs?: number } = {}): Promise<RunResult> {
  const bin = ffmpegBinary().path;
  const h = opts.stdin ? undefined : spawnHelper();
  if (h) {
    try {
      return await h.run(bin, ["-hide_banner", "-nostdin", ...args], opts.timeoutMs);
    } catch (err) {
      if (!h.dead) throw err; // a real ffmpeg start failure; a dead helper falls back to a plain spawn
    }
  }
  try {
    return await spawnCollect(bin, ["-hide_banner", "-nostdin", ...args], { stdin: opts.stdin, stdout: true, timeoutMs: opts.timeoutMs });
  } catch (e) {
    throw new Error(`could not start ffmpeg (${bin}): ${(e as Error).message}`);
  }
}

/** The first meaningful line of ffmpeg's stderr, for error messages. */
export function firstError(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^(frame|fps|stream_|bitrate|total_size|out_time|dup_frames|drop_frames|speed|progress)=/.test(l));
  return lines[0] ?? "(no message)";
}
