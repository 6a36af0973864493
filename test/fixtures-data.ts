// Files the data tests make for themselves: tiny real AVIs (encoded with ffmpeg), broken copies,
// and UCF101-layout trees. Everything goes under a fresh temporary directory.
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeAvi } from "../src/data/synth";
import type { Frames } from "../src/data/pipeline";

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `slowfast-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The colour of frame t in solidClip(): far apart in every channel, so decoding errors cannot mix them up. */
export function frameColor(t: number): [number, number, number] {
  return [(t * 40 + 20) % 256, (t * 90 + 60) % 256, (250 - t * 30 + 256 * 4) % 256];
}

/** `frames` solid-colour frames of `width` x `height`; frame t has frameColor(t). */
export function solidClip(frames: number, width = 32, height = 24): Frames {
  const data = new Uint8Array(frames * width * height * 3);
  for (let t = 0; t < frames; t++) {
    const c = frameColor(t);
    for (let p = 0; p < width * height; p++) data.set(c, (t * width * height + p) * 3);
  }
  return { data, frames, width, height };
}

/** Writes a real MPEG-4 AVI of solid-colour frames. */
export async function writeSolidAvi(path: string, frames: number, width = 32, height = 24): Promise<string> {
  await encodeAvi(solidClip(frames, width, height), path);
  return path;
}

/** Writes a UCF101 tree: classInd + split 1 lists (CRLF) and, for each clip, a real AVI unless `absent`. */
export async function writeTree(
  root: string,
  classes: string[],
  clips: { cls: number; group: number; clip: number; split: "train" | "test"; frames?: number; absent?: boolean; folder?: string }[],
): Promise<void> {
  await mkdir(join(root, "ucfTrainTestlist"), { recursive: true });
  await writeFile(join(root, "ucfTrainTestlist", "classInd.txt"), classes.map((c, i) => `${i + 1} ${c}\r\n`).join(""));
  const pad = (n: number) => String(n).padStart(2, "0");
  const train: string[] = [];
  const test: string[] = [];
  for (const c of clips) {
    const name = classes[c.cls];
    const rel = `${name}/v_${name}_g${pad(c.group)}_c${pad(c.clip)}.avi`;
    if (c.split === "train") train.push(`${rel} ${c.cls + 1}\r\n`);
    else test.push(`${rel}\r\n`);
    if (!c.absent) {
      const dir = join(root, "UCF-101", c.folder ?? name);
      await mkdir(dir, { recursive: true });
      await writeSolidAvi(join(dir, `v_${name}_g${pad(c.group)}_c${pad(c.clip)}.avi`), c.frames ?? 12);
    }
  }
  await writeFile(join(root, "ucfTrainTestlist", "trainlist01.txt"), train.join(""));
  await writeFile(join(root, "ucfTrainTestlist", "testlist01.txt"), test.join(""));
}
