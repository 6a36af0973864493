// The kit's own data set, "synth-motion": a few hundred short clips in exactly UCF101's layout,
// made here from a seed, so that everything runs offline and the same loader reads it.
//
// Eight classes, four pairs. In each pair the second class is the first one played backwards:
//
//   MoveLeft / MoveRight                    constant horizontal velocity
//   MoveUp / MoveDown                       constant vertical velocity
//   Approach / Recede                       size grows / shrinks exponentially (towards / away)
//   RotateClockwise / RotateAnticlockwise   spins on the spot
//
// So neither a single frame nor the unordered set of frames of one pair can tell its two classes
// apart: only the order of frames can, which is what the fast pathway is for. By construction the
// middle frame carries no class information at all: every clip is defined by its state at the
// middle frame (position, size, angle, shape, colours, background), drawn from (seed, group, clip)
// only, and each class is a trajectory through that state. Clip cNN of group gNN therefore has a
// pixel-identical middle frame in all eight classes (test/data-synth.test.ts checks this).
//
// Groups work as in UCF101: the clips of a group share a scene (background, distractor blobs,
// object shape and colour), and the splits keep every group on one side, so test scenes are never
// seen in training. Mirroring turns MoveLeft into MoveRight and clockwise into anticlockwise, so
// this data set must not be flipped: kit.json says "flip": false and the loader honours it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { ffmpegBinary } from "./ffmpeg";
import type { Frames } from "./pipeline";
import { Rng } from "./rng";
import { KIT_FILE, LIST_DIR, VIDEO_DIR, type KitJson } from "./ucf101";

/** Where `npm start` and the training notebook keep the generated set (relative to the project root). */
export const SYNTH_DEFAULT_DIR = "data/generated/synth-motion";
/** SYNTH_DEFAULT_DIR as an absolute path (this file is src/data/synth.ts, two levels below the project root). */
export function synthDefaultRoot(): string {
  return resolve(__dirname, "..", "..", SYNTH_DEFAULT_DIR);
}
export const SYNTH_NAME = "synth-motion";
/** Bumped whenever the generator's output changes, so an old set on disk is regenerated. */
export const SYNTH_VERSION = 3;
/**
 * Version 3 replaced version 2's SpeedUp / SlowDown (a random heading, speed x e^(+-g t)) with
 * MoveUp / MoveDown and made every motion larger. Measured with slowfast_tiny in the five-minute
 * budget (16 epochs): with version 2 only MoveLeft / MoveRight were learned (test top-1 17-36% over
 * seeds 1-3): telling acceleration from deceleration in any direction is a second-order cue, and a
 * SpeedUp clip heading sideways looks like a Move clip, so those classes only delayed everything.
 */
export const SYNTH_CLASSES = [
  "MoveLeft",
  "MoveRight",
  "MoveUp",
  "MoveDown",
  "Approach",
  "Recede",
  "RotateClockwise",
  "RotateAnticlockwise",
] as const;
export const SYNTH_SIZE = 80;
export const SYNTH_FPS = 25;
export const SYNTH_FRAMES: readonly [number, number] = [36, 48];
/**
 * RandomResizedCrop's area range for this set. Not mmaction2's [0.08, 1]: a small crop of an 80x80
 * frame can miss the object, and a crop that zooms in changes the apparent speed and size, which
 * are what the classes are about. Measured with slowfast_tiny (Adam 3e-3, 576 training clips):
 * with [0.4, 1] the loss left ln 8 only after ~9 epochs, with [0.8, 1] after ~3.
 */
export const SYNTH_AREA_RANGE: [number, number] = [0.8, 1];
/**
 * Clips per class of the default set: 25 scenes (groups of 4) like UCF101's 25 groups, 18 for
 * training and 7 for testing. Scenes are what the model must learn to ignore: with 16 scenes
 * (64 clips per class) slowfast_tiny stayed at chance for 14 epochs, with 25 it learned.
 */
export const SYNTH_CLIPS_PER_CLASS = 100;

type Rgb = [number, number, number];
type ShapeKind = "triangle" | "bar" | "ellipse" | "kite";
const SHAPES: ShapeKind[] = ["triangle", "bar", "ellipse", "kite"];

function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

/** A scene: what all clips of one group share. */
interface Scene {
  background: Uint8Array; // [H, W, 3], gradient + static distractor blobs
  shape: ShapeKind;
  color: Rgb;
}

/** The state at the middle frame plus the motion magnitudes: shared by all eight classes. */
interface ClipState {
  frames: number;
  x: number;
  y: number;
  size: number; // half-size in pixels
  angle: number; // radians
  speed: number; // px/frame (Move*)
  growth: number; // log-size per frame (Approach/Recede)
  spin: number; // radians per frame (Rotate*)
}

function makeScene(seed: number, group: number): Scene {
  const rng = Rng.derive(seed, 1, group);
  const S = SYNTH_SIZE;
  const dark = rng.chance(0.5);
  const bgV = () => (dark ? rng.uniform(0.1, 0.4) : rng.uniform(0.65, 0.95));
  const c1 = hsv(rng.next(), rng.uniform(0.1, 0.6), bgV());
  const c2 = hsv(rng.next(), rng.uniform(0.1, 0.6), bgV());
  const dir = rng.uniform(0, 2 * Math.PI);
  const [dx, dy] = [Math.cos(dir), Math.sin(dir)];
  const bg = new Uint8Array(S * S * 3);
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const t = Math.min(1, Math.max(0, 0.5 + ((j - S / 2) * dx + (i - S / 2) * dy) / S));
      for (let c = 0; c < 3; c++) bg[(i * S + j) * 3 + c] = Math.round(c1[c] + (c2[c] - c1[c]) * t);
    }
  }
  const color = hsv(rng.next(), rng.uniform(0.6, 1), dark ? rng.uniform(0.8, 1) : rng.uniform(0.15, 0.4));
  return { background: bg, shape: rng.pick(SHAPES), color };
}

function makeState(seed: number, group: number, clip: number): ClipState {
  const rng = Rng.derive(seed, 2, group, clip);
  return {
    frames: rng.intIn(SYNTH_FRAMES[0], SYNTH_FRAMES[1]),
    x: rng.uniform(28, 52),
    y: rng.uniform(28, 52),
    size: rng.uniform(10, 14),
    angle: rng.uniform(0, 2 * Math.PI),
    speed: rng.uniform(0.8, 1.2),
    growth: rng.uniform(0.03, 0.04),
    spin: (rng.uniform(4, 6) * Math.PI) / 180,
  };
}

/** Object pose at frame offset u from the middle frame, for class `cls` (index into SYNTH_CLASSES). */
function pose(st: ClipState, cls: number, u: number): { x: number; y: number; size: number; angle: number } {
  let { x, y, size, angle } = st;
  switch (SYNTH_CLASSES[cls]) {
    case "MoveLeft":
      x -= st.speed * u;
      break;
    case "MoveRight":
      x += st.speed * u;
      break;
    case "Approach":
      size *= Math.exp(st.growth * u);
      break;
    case "Recede":
      size *= Math.exp(-st.growth * u);
      break;
    case "MoveUp": // image y points down
      y -= st.speed * u;
      break;
    case "MoveDown":
      y += st.speed * u;
      break;
    case "RotateClockwise": // image y points down, so a growing angle turns clockwise on screen
      angle += st.spin * u;
      break;
    case "RotateAnticlockwise":
      angle -= st.spin * u;
      break;
  }
  return { x, y, size, angle };
}

/** Whether local point (u, v) (object frame, unit half-size, pointing along +u) is inside the shape. */
function inside(shape: ShapeKind, u: number, v: number): boolean {
  switch (shape) {
    case "bar":
      return Math.abs(u) <= 1 && Math.abs(v) <= 0.4;
    case "ellipse":
      return u * u + (v / 0.5) ** 2 <= 1;
    case "kite":
      return (u >= 0 ? u : -u / 0.45) + Math.abs(v) / 0.6 <= 1;
    case "triangle":
      // Vertices (1, 0), (-0.8, 0.75), (-0.8, -0.75): an isosceles triangle pointing along +u.
      return u >= -0.8 && 0.75 * (1 - u) >= 1.8 * Math.abs(v);
  }
}

/** Draws the object over a copy of the background with 3x3 supersampled edges; writes into `out`. */
function drawFrame(scene: Scene, p: { x: number; y: number; size: number; angle: number }, out: Uint8Array): void {
  const S = SYNTH_SIZE;
  out.set(scene.background);
  const r = p.size * 1.2 + 1;
  const [cos, sin] = [Math.cos(p.angle), Math.sin(p.angle)];
  const inv = 1 / p.size;
  const subs = [1 / 6, 0.5, 5 / 6];
  for (let i = Math.max(0, Math.floor(p.y - r)); i <= Math.min(S - 1, Math.ceil(p.y + r)); i++) {
    for (let j = Math.max(0, Math.floor(p.x - r)); j <= Math.min(S - 1, Math.ceil(p.x + r)); j++) {
      let hits = 0;
      for (const sy of subs) {
        for (const sx of subs) {
          const dx = j + sx - p.x;
          const dy = i + sy - p.y;
          // Rotate the pixel into the object's frame.
          if (inside(scene.shape, (dx * cos + dy * sin) * inv, (-dx * sin + dy * cos) * inv)) hits++;
        }
      }
      if (hits === 0) continue;
      const a = hits / 9;
      const o = (i * S + j) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(out[o + c] * (1 - a) + scene.color[c] * a);
    }
  }
}

/**
 * Renders clip `clip` of group `group` of class `cls` (0-based, SYNTH_CLASSES order):
 * [frames, 80, 80, 3] RGB. Pure: the same arguments always give the same bytes.
 */
export function renderSynthClip(seed: number, cls: number, group: number, clip: number): Frames & { middle: number } {
  if (!Number.isInteger(cls) || cls < 0 || cls >= SYNTH_CLASSES.length) throw new Error(`class must be 0..${SYNTH_CLASSES.length - 1}, got ${cls}`);
  const scene = makeScene(seed, group);
  const st = makeState(seed, group, clip);
  const fb = SYNTH_SIZE * SYNTH_SIZE * 3;
  const data = new Uint8Array(st.frames * fb);
  const middle = Math.floor(st.frames / 2);
  for (let t = 0; t < st.frames; t++) drawFrame(scene, pose(st, cls, t - middle), data.subarray(t * fb, (t + 1) * fb));
  return { data, frames: st.frames, height: SYNTH_SIZE, width: SYNTH_SIZE, middle };
}

/** Encodes RGB frames as an MPEG-4 part 2 AVI (UCF101's codec and container) through ffmpeg's stdin. */
export function encodeAvi(frames: Frames, file: string, fps = SYNTH_FPS): Promise<void> {
  return new Promise((resolveP, reject) => {
    const child = spawn(
      ffmpegBinary().path,
      [
        "-hide_banner", "-nostdin", "-v", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${frames.width}x${frames.height}`, "-r", String(fps), "-i", "pipe:0",
        "-c:v", "mpeg4", "-q:v", "3", "-vtag", "XVID", "-pix_fmt", "yuv420p", "-f", "avi", "-y", file,
      ],
      { stdio: ["pipe", "ignore", "pipe"] },
    );
    const err: Buffer[] = [];
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`could not start ffmpeg to write ${file}: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolveP();
      else reject(new Error(`${file}: ffmpeg encode failed (exit ${code}): ${Buffer.concat(err).toString("utf8").trim().split("\n")[0]}`));
    });
    child.stdin.on("error", () => undefined); // an early exit is reported by "close"
    child.stdin.end(frames.data);
  });
}

/**
 * Encodes several clips with ONE ffmpeg process: the clips go through stdin as one raw stream and
 * the segment muxer cuts it into one AVI per clip at forced keyframes. Starting an ffmpeg costs
 * ~35 ms of CPU here, more than encoding a 40-frame 80x80 clip, so this is ~3x faster than one
 * process per clip. `render(k)` is called lazily, so rendering overlaps encoding.
 */
export async function encodeAviBatch(count: number, render: (k: number) => Frames, files: string[], scratchDir: string, fps = SYNTH_FPS): Promise<void> {
  if (files.length !== count || count === 0) throw new Error(`encodeAviBatch: ${count} clips but ${files.length} file names`);
  await mkdir(scratchDir, { recursive: true });
  const first = render(0);
  const clips: Frames[] = [first];
  const starts = [0];
  const pattern = join(scratchDir, "seg%05d.avi");
  // Segment boundaries are only known after rendering; render everything first but write lazily.
  for (let k = 1; k < count; k++) {
    starts.push(starts[k - 1] + clips[k - 1].frames);
    clips.push(render(k));
  }
  await new Promise<void>((resolveP, reject) => {
    const child = spawn(
      ffmpegBinary().path,
      [
        "-hide_banner", "-nostdin", "-v", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${first.width}x${first.height}`, "-r", String(fps), "-i", "pipe:0",
        "-c:v", "mpeg4", "-q:v", "3", "-vtag", "XVID", "-pix_fmt", "yuv420p",
        "-force_key_frames", `expr:${starts.map((n) => `eq(n,${n})`).join("+")}`,
        "-f", "segment", "-segment_format", "avi", "-reset_timestamps", "1",
        ...(count > 1 ? ["-segment_frames", starts.slice(1).join(",")] : []),
        "-y", pattern,
      ],
      { stdio: ["pipe", "ignore", "pipe"] },
    );
    const err: Buffer[] = [];
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`could not start ffmpeg to write ${files[0]}...: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolveP();
      else reject(new Error(`${files[0]} (+${count - 1} more): ffmpeg encode failed (exit ${code}): ${Buffer.concat(err).toString("utf8").trim().split("\n")[0]}`));
    });
    child.stdin.on("error", () => undefined);
    (async () => {
      for (const c of clips) if (!child.stdin.write(c.data)) await once(child.stdin, "drain");
      child.stdin.end();
    })().catch(() => undefined);
  });
  for (let k = 0; k < count; k++) await rename(join(scratchDir, `seg${String(k).padStart(5, "0")}.avi`), files[k]);
  await rm(scratchDir, { recursive: true, force: true });
}

/** How clips are grouped and which groups each of the three splits tests, UCF101-style. */
export function synthSplits(clipsPerClass: number): { groups: number[][]; testGroups: number[][] } {
  if (!Number.isInteger(clipsPerClass) || clipsPerClass < 2) throw new Error(`clipsPerClass must be an integer >= 2, got ${clipsPerClass}`);
  const perGroup = Math.min(4, Math.max(1, Math.floor(clipsPerClass / 4)));
  const G = Math.ceil(clipsPerClass / perGroup);
  // groups[g-1] = the clip numbers (1-based) of group g.
  const groups = Array.from({ length: G }, (_, g) => Array.from({ length: Math.min(perGroup, clipsPerClass - g * perGroup) }, (_, c) => c + 1));
  // UCF101 tests 7 of its 25 groups per split (g01-07, g08-14, g15-21); the same share here.
  const tg = Math.max(1, Math.min(Math.round((G * 7) / 25), G - 1));
  const testGroups = [0, 1, 2].map((s) => Array.from({ length: tg }, (_, k) => ((s * tg + k) % G) + 1));
  return { groups, testGroups };
}

export interface SynthResult {
  root: string;
  classes: string[];
  clips: number;
  seconds: number;
}

const pad2 = (n: number) => String(n).padStart(2, "0");
const CRLF = "\r\n";

/** Removes `<name>.partial-<pid>-*` directories left by generations whose process is gone. */
async function removeStalePartials(outDir: string): Promise<void> {
  const parent = dirname(outDir);
  const prefix = `${basename(outDir)}.partial-`;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === "EPERM";
    }
    if (!alive) await rm(join(parent, name), { recursive: true, force: true });
  }
}

/** .avi files under <dir>/UCF-101/<Class>/ (a set missing some is regenerated, not reused). */
async function countClips(dir: string): Promise<number> {
  let n = 0;
  for (const c of SYNTH_CLASSES) n += (await readdir(join(dir, VIDEO_DIR, c)).catch(() => [] as string[])).filter((f) => f.endsWith(".avi")).length;
  return n;
}

async function readKit(dir: string): Promise<KitJson | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, LIST_DIR, KIT_FILE), "utf8")) as KitJson;
  } catch {
    return undefined;
  }
}

/**
 * Generates synth-motion into `outDir` (created; parents too). Writes into a temporary sibling
 * directory and renames it into place at the end, so an interrupted run never leaves a set that
 * looks complete. If `outDir` already holds the same set (same generator version, seed and size)
 * it is reused; an older synth-motion set there is replaced; any other non-empty directory is an
 * error rather than something to overwrite.
 */
export async function generateSynthDataset(
  outDir: string,
  opts: { seed?: number; clipsPerClass?: number; onProgress?: (done: number, total: number) => void; force?: boolean; concurrency?: number } = {},
): Promise<SynthResult> {
  const started = Date.now();
  const seed = opts.seed ?? 0;
  const clipsPerClass = opts.clipsPerClass ?? SYNTH_CLIPS_PER_CLASS;
  const root = resolve(outDir);
  const { groups, testGroups } = synthSplits(clipsPerClass);
  const classes = [...SYNTH_CLASSES];
  const total = classes.length * clipsPerClass;

  if (existsSync(root)) {
    const kit = await readKit(root);
    if (kit?.name === SYNTH_NAME) {
      if (!opts.force && kit.version === SYNTH_VERSION && kit.seed === seed && kit.clipsPerClass === clipsPerClass && (await countClips(root)) === total) {
        opts.onProgress?.(total, total);
        return { root, classes, clips: total, seconds: (Date.now() - started) / 1000 };
      }
    } else if ((await readdir(root)).length > 0) {
      throw new Error(`${root} exists and is not a ${SYNTH_NAME} data set (no ${LIST_DIR}/${KIT_FILE}); choose another --out or remove it`);
    }
  }

  await mkdir(dirname(root), { recursive: true });
  await removeStalePartials(root);
  const tmp = `${root}.partial-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(join(tmp, LIST_DIR), { recursive: true });
    for (const c of classes) await mkdir(join(tmp, VIDEO_DIR, c), { recursive: true });

    // Jobs of up to 20 clips, one ffmpeg each; render on this thread while up to `concurrency`
    // encoders run.
    const clipJobs: { cls: number; group: number; clip: number }[] = [];
    for (let cls = 0; cls < classes.length; cls++) {
      groups.forEach((clips, g) => clips.forEach((clip) => clipJobs.push({ cls, group: g + 1, clip })));
    }
    const jobs: (typeof clipJobs)[] = [];
    for (let k = 0; k < clipJobs.length; k += 20) jobs.push(clipJobs.slice(k, k + 20));
    const concurrency = Math.max(1, opts.concurrency ?? Math.min(4, cpus().length));
    let next = 0;
    let done = 0;
    let failed = false;
    const worker = async () => {
      while (next < jobs.length && !failed) {
        const j = next++;
        const job = jobs[j];
        const files = job.map(({ cls, group, clip }) => join(tmp, VIDEO_DIR, classes[cls], `v_${classes[cls]}_g${pad2(group)}_c${pad2(clip)}.avi`));
        try {
          await encodeAviBatch(job.length, (k) => renderSynthClip(seed, job[k].cls, job[k].group, job[k].clip), files, join(tmp, `.encode-${j}`));
          done += job.length;
          opts.onProgress?.(done, clipJobs.length);
        } catch (err) {
          failed = true; // the other workers stop at their next job
          throw err;
        }
      }
    };
    const results = await Promise.allSettled(Array.from({ length: concurrency }, worker));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;

    // The split files, in UCF101's own format (CRLF, 1-based labels, test lists without labels).
    const rel = (cls: number, group: number, clip: number) => `${classes[cls]}/v_${classes[cls]}_g${pad2(group)}_c${pad2(clip)}.avi`;
    await writeFile(join(tmp, LIST_DIR, "classInd.txt"), classes.map((c, i) => `${i + 1} ${c}${CRLF}`).join(""));
    for (let s = 0; s < 3; s++) {
      const train: string[] = [];
      const test: string[] = [];
      for (let cls = 0; cls < classes.length; cls++) {
        groups.forEach((clips, g) => {
          const isTest = testGroups[s].includes(g + 1);
          for (const clip of clips) (isTest ? test : train).push(isTest ? rel(cls, g + 1, clip) : `${rel(cls, g + 1, clip)} ${cls + 1}`);
        });
      }
      await writeFile(join(tmp, LIST_DIR, `trainlist0${s + 1}.txt`), train.map((l) => l + CRLF).join(""));
      await writeFile(join(tmp, LIST_DIR, `testlist0${s + 1}.txt`), test.map((l) => l + CRLF).join(""));
    }
    const kit: KitJson = {
      name: SYNTH_NAME,
      version: SYNTH_VERSION,
      seed,
      clipsPerClass,
      size: [SYNTH_SIZE, SYNTH_SIZE],
      fps: SYNTH_FPS,
      frames: SYNTH_FRAMES,
      flip: false,
      areaRange: SYNTH_AREA_RANGE,
      note: "Generated by `slowfast data synth`. flip=false: a mirror swaps MoveLeft/MoveRight and clockwise/anticlockwise, so flipping would corrupt labels. areaRange: small crops can miss the moving object, and zooming in changes the speed and size that define the classes.",
    };
    await writeFile(join(tmp, LIST_DIR, KIT_FILE), JSON.stringify(kit, null, 2) + "\n");

    // Swap into place: old set aside, new one in, old one removed.
    if (existsSync(root)) {
      const old = `${root}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
      await rename(root, old);
      await rename(tmp, root);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, root);
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { root, classes, clips: total, seconds: (Date.now() - started) / 1000 };
}
