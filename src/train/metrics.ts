// Per-epoch metrics as JSON lines (metrics.jsonl): one object per epoch, easy to tail, plot or load.
// The trainer rewrites the whole file atomically after every epoch (a few hundred bytes), so it is
// never left with half a line. A torn last line from an older kit's append is dropped on resume.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "./atomic";

export interface EpochMetrics {
  epoch: number;
  step: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss?: number;
  valTop1?: number;
  valTop5?: number;
  clipsPerSecond: number;
  seconds: number;
}

/**
 * The epochs in `file` ([] when absent). A last line without its newline that does not parse is
 * an append cut short by a kill or a full disk: with `dropTornTail` it is ignored, otherwise (and
 * for any other bad line) the error names the file and line.
 */
export async function readMetrics(file: string, opts: { dropTornTail?: boolean } = {}): Promise<EpochMetrics[]> {
  if (!existsSync(file)) return [];
  const text = await readFile(file, "utf8");
  const lines = text.split("\n");
  const out: EpochMetrics[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    try {
      out.push(JSON.parse(lines[i]) as EpochMetrics);
    } catch {
      if (opts.dropTornTail && i === lines.length - 1) break;
      throw new Error(`${file}:${i + 1}: not a JSON line`);
    }
  }
  return out;
}

/** Writes every epoch's line, replacing the file atomically. */
export async function writeMetrics(file: string, metrics: EpochMetrics[]): Promise<void> {
  await writeFileAtomic(file, metrics.map((m) => JSON.stringify(m) + "\n").join(""));
}

/** Keeps the lines of epochs up to `epoch` (a resumed run rewrites what came after its checkpoint). */
export async function truncateMetrics(file: string, epoch: number): Promise<EpochMetrics[]> {
  const kept = (await readMetrics(file, { dropTornTail: true })).filter((m) => m.epoch <= epoch);
  await writeMetrics(file, kept);
  return kept;
}
