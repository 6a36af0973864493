// The kit's own data set, "synth-motion": a few hundred short clips in exactly UCF101's layout,
// made here from a seed, so that everything runs offline and the same loader reads it. What a clip
// shows, and why, is in synth_render.ts: eight classes of drifting short-lived dots that only
// the fast pathway's frame rate can tell apart.
//
// Groups work as in UCF101: the clips of a group share a scene (background, dot colour, size and
// density), and the splits keep every group on one side, so test scenes are never seen in
// training. Mirroring turns MoveLeft into MoveRight (and UpLeft into UpRight, ...), so this data
// set must not be flipped: kit.json says "flip": false and the loader honours it.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { runPool } from "../util/pool";
import { spawnCollect } from "../util/spawn";
import { ffmpegBinary } from "./ffmpeg";
import type { Frames } from "./pipeline";
export { renderSynthClip, SYNTH_CLASSES, SYNTH_FPS, SYNTH_FRAMES, SYNTH_SIZE } from "./synth_render";
import { renderSynthClip, SYNTH_CLASSES, SYNTH_FPS, SYNTH_FRAMES, SYNTH_SIZE } from "./synth_render";
import { KIT_FILE, LIST_DIR, VIDEO_DIR, type KitJson } from "./ucf101";

/** Where `npm start` and the training notebook keep the generated set (relative to the project root). */
export const SYNTH_DEFAULT_DIR = "data/generated/synth-motion";
/** SYNTH_DEFAULT_DIR as an absolute path (this file is src/data/synth.ts, two levels below the project root). */
export function synthDefaultRoot(): string {
  return resolve(__dirname, "..", "..", SYNTH_DEFAULT_DIR);
}
export const SYNTH_NAME = "synth-motion";
/** Bumped whenever the generator's output changes, so an old set on disk is regenerated. */
export const SYNTH_VERSION = 6;
/**
 * RandomResizedCrop's area range for this set. Not mmaction2's [0.08, 1]: a crop that zooms in
 * changes the apparent speed and dot size, and a small crop of an 80x80 frame holds few dots.
 * Measured with version 2 of the set (Adam 3e-3): with [0.4, 1] the loss left ln 8 only after ~9
 * epochs, with [0.8, 1] after ~3.
 */
export const SYNTH_AREA_RANGE: [number, number] = [0.8, 1];
/**
 * RandomResizedCrop's aspect-ratio range: square crops only. Stretching one axis turns the
 * direction of a diagonal drift by up to 8 degrees (at mmaction2's 3/4..4/3), a third of the
 * 22.5-degree margin between neighbouring classes.
 */
export const SYNTH_ASPECT_RANGE: [number, number] = [1, 1];
/**
 * Clips per class of the default set: 25 scenes (groups of 4) like UCF101's 25 groups, 18 for
 * training (3 of them held out for validation) and 7 for testing.
 */
export const SYNTH_CLIPS_PER_CLASS = 100;

/** Encodes RGB frames as an MPEG-4 part 2 AVI (UCF101's codec and container) through ffmpeg's stdin. */
export async function encodeAvi(frames: Frames, file: string, fps = SYNTH_FPS): Promise<void> {
  const args = [
    "-hide_banner", "-nostdin", "-v", "error",
    "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${frames.width}x${frames.height}`, "-r", String(fps), "-i", "pipe:0",
    "-c:v", "mpeg4", "-q:v", "3", "-vtag", "XVID", "-pix_fmt", "yuv420p", "-f", "avi", "-y", file,
  ];
  const r = await spawnCollect(ffmpegBinary().path, args, { stdin: frames.data }).catch((e: Error) => {
    throw new Error(`could not start ffmpeg to write ${file}: ${e.message}`);
  });
  if (r.code !== 0) throw new Error(`${file}: ffmpeg encode failed (exit ${r.code}): ${r.stderr.trim().split("\n")[0]}`);
}

/**
 * Encodes several clips with ONE ffmpeg process: the clips go through stdin as one raw stream and
 * the segment muxer cuts it into one AVI per clip at forced keyframes. Starting an ffmpeg costs
 * ~35 ms of CPU here, more than encoding a 40-frame 80x80 clip, so this is ~3x faster than one
 * process per clip. Every clip is rendered before ffmpeg starts (the keyframe list needs every
 * clip's length), so rendering does not overlap encoding.
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
  const args = [
    "-hide_banner", "-nostdin", "-v", "error",
    "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${first.width}x${first.height}`, "-r", String(fps), "-i", "pipe:0",
    "-c:v", "mpeg4", "-q:v", "3", "-vtag", "XVID", "-pix_fmt", "yuv420p",
    "-force_key_frames", `expr:${starts.map((n) => `eq(n,${n})`).join("+")}`,
    "-f", "segment", "-segment_format", "avi", "-reset_timestamps", "1",
    ...(count > 1 ? ["-segment_frames", starts.slice(1).join(",")] : []),
    "-y", pattern,
  ];
  const r = await spawnCollect(ffmpegBinary().path, args, { stdin: clips.map((c) => c.data) }).catch((e: Error) => {
    throw new Error(`could not start ffmpeg to write ${files[0]}...: ${e.message}`);
  });
  if (r.code !== 0) throw new Error(`${files[0]} (+${count - 1} more): ffmpeg encode failed (exit ${r.code}): ${r.stderr.trim().split("\n")[0]}`);
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
    let done = 0;
    await runPool(jobs.length, opts.concurrency ?? Math.min(4, cpus().length), async (j) => {
      const job = jobs[j];
      const files = job.map(({ cls, group, clip }) => join(tmp, VIDEO_DIR, classes[cls], `v_${classes[cls]}_g${pad2(group)}_c${pad2(clip)}.avi`));
      await encodeAviBatch(job.length, (k) => renderSynthClip(seed, job[k].cls, job[k].group, job[k].clip), files, join(tmp, `.encode-${j}`));
      done += job.length;
      opts.onProgress?.(done, clipJobs.length);
    });

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
      aspectRange: SYNTH_ASPECT_RANGE,
      note: "Generated by `slowfast data synth`. flip=false: a mirror swaps MoveLeft/MoveRight (and UpLeft/UpRight, DownLeft/DownRight), so flipping would corrupt labels. areaRange: zooming in changes the speed and dot size, and small crops hold few dots. aspectRange: stretching one axis turns the direction of diagonal motion.",
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
