// Per-epoch metrics as JSON lines (metrics.jsonl): one object per epoch, easy to tail, plot or load.
import { existsSync } from "node:fs";
import { appendFile, readFile } from "node:fs/promises";
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

export async function readMetrics(file: string): Promise<EpochMetrics[]> {
  if (!existsSync(file)) return [];
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l, i) => {
      try {
        return JSON.parse(l) as EpochMetrics;
      } catch {
        throw new Error(`${file}:${i + 1}: not a JSON line`);
      }
    });
}

export async function appendMetrics(file: string, m: EpochMetrics): Promise<void> {
  await appendFile(file, JSON.stringify(m) + "\n");
}

/** Keeps the lines of epochs up to `epoch` (a resumed run rewrites what came after its checkpoint). */
export async function truncateMetrics(file: string, epoch: number): Promise<EpochMetrics[]> {
  const kept = (await readMetrics(file)).filter((m) => m.epoch <= epoch);
  await writeFileAtomic(file, kept.map((m) => JSON.stringify(m) + "\n").join(""));
  return kept;
}
