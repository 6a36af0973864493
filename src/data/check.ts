// `slowfast data check`: what a UCF101-layout tree really holds, split by split.
//
// For the chosen split it counts clips listed, found on disk, missing and unreadable, and decodes
// every clip that is there once (probeVideo) to report its frame count, size and fps. Works on a
// partial tree: missing clips are counted, not errors. The JSON form is the report object itself.
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { relative } from "node:path";
import { runPool } from "../util/pool";
import { loadUcf101, type ClipEntry } from "./ucf101";
import { probeVideo } from "./video";

export interface SplitCounts {
  listed: number;
  found: number;
  missing: number;
  unreadable: number;
}

export interface CheckedClip {
  /** Relative to the root, e.g. "UCF-101/Basketball/v_Basketball_g01_c01.avi". */
  path: string;
  split: "train" | "test";
  label: number;
  frames: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  error?: string;
  /** Decoded, but ffmpeg reported errors on the way (see VideoInfo.warning). */
  warning?: string;
}

export interface CheckReport {
  root: string;
  split: number;
  splits: { train: SplitCounts; test: SplitCounts };
  /** Classes in the class index (or the --classes subset). */
  classes: number;
  /** Classes with at least one readable clip. */
  classesFound: number;
  /** Every clip found on disk (readable or not); missing clips are only counted. */
  clips: CheckedClip[];
  /** The first few missing paths (relative to the root), to show what is absent. */
  missingExamples: string[];
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

export async function checkDataset(
  root: string,
  opts: { split?: number; classes?: number; concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<CheckReport> {
  const ds = await loadUcf101(root, { split: opts.split, classes: opts.classes });
  const listed: { entry: ClipEntry; split: "train" | "test" }[] = [
    ...ds.train.map((entry) => ({ entry, split: "train" as const })),
    ...ds.test.map((entry) => ({ entry, split: "test" as const })),
  ];
  const counts = { train: { listed: ds.train.length, found: 0, missing: 0, unreadable: 0 }, test: { listed: ds.test.length, found: 0, missing: 0, unreadable: 0 } };
  const present = await Promise.all(listed.map((l) => exists(l.entry.path)));
  const missingExamples: string[] = [];
  const toCheck = listed.filter((l, k) => {
    if (present[k]) counts[l.split].found++;
    else {
      counts[l.split].missing++;
      if (missingExamples.length < 5) missingExamples.push(relative(root, l.entry.path));
    }
    return present[k];
  });

  const clips: CheckedClip[] = new Array(toCheck.length);
  let done = 0;
  await runPool(toCheck.length, opts.concurrency ?? availableParallelism(), async (k) => {
    const { entry, split } = toCheck[k];
    const base = { path: relative(root, entry.path), split, label: entry.label };
    try {
      const info = await probeVideo(entry.path);
      clips[k] = { ...base, frames: info.frames, width: info.width, height: info.height, fps: info.fps, ...(info.warning && { warning: info.warning }) };
    } catch (err) {
      counts[split].unreadable++;
      clips[k] = { ...base, frames: null, width: null, height: null, fps: null, error: err instanceof Error ? err.message : String(err) };
    }
    opts.onProgress?.(++done, toCheck.length);
  });
  const classesFound = new Set(clips.filter((c) => !c.error).map((c) => c.label)).size;
  return { root, split: ds.split, splits: counts, classes: ds.classes.length, classesFound, clips, missingExamples };
}

/** The human-readable report: counts per split, then what the decodable clips look like, then problems. */
export function formatCheck(r: CheckReport): string {
  const out: string[] = [`${r.root}: split ${r.split}, ${r.classes} classes (${r.classesFound} with readable clips)`];
  for (const s of ["train", "test"] as const) {
    const c = r.splits[s];
    out.push(`  ${s.padEnd(5)} listed ${String(c.listed).padStart(5)}  found ${String(c.found).padStart(5)}  missing ${String(c.missing).padStart(5)}  unreadable ${String(c.unreadable).padStart(4)}`);
  }
  const good = r.clips.filter((c) => !c.error);
  if (good.length > 0) {
    const frames = good.map((c) => c.frames!);
    const tally = (key: (c: CheckedClip) => string) => {
      const m = new Map<string, number>();
      for (const c of good) m.set(key(c), (m.get(key(c)) ?? 0) + 1);
      return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} (${n})`).join(", ");
    };
    out.push(`  frames: min ${Math.min(...frames)}, max ${Math.max(...frames)}, mean ${(frames.reduce((a, b) => a + b, 0) / frames.length).toFixed(1)}`);
    out.push(`  sizes: ${tally((c) => `${c.width}x${c.height}`)}`);
    out.push(`  fps: ${tally((c) => String(c.fps))}`);
    if (good.length <= 10) for (const c of good) out.push(`    ${c.split.padEnd(5)} ${c.path}: ${c.frames} frames, ${c.width}x${c.height}, ${c.fps} fps`);
  }
  const warned = r.clips.filter((c) => c.warning);
  if (warned.length > 0) {
    out.push(`  decoded with ffmpeg errors (${warned.length}; kept):`);
    for (const c of warned.slice(0, 5)) out.push(`    ${c.path}: ${c.warning}`);
  }
  const bad = r.clips.filter((c) => c.error);
  if (bad.length > 0) {
    out.push(`  unreadable (${bad.length}):`);
    for (const c of bad.slice(0, 20)) out.push(`    ${c.error}`);
    if (bad.length > 20) out.push(`    ... and ${bad.length - 20} more (--json lists them all)`);
  }
  const missing = r.splits.train.missing + r.splits.test.missing;
  if (missing > 0) out.push(`  missing, e.g.: ${r.missingExamples.join(", ")}${missing > r.missingExamples.length ? `, ... (${missing} in all)` : ""}`);
  return out.join("\n");
}
