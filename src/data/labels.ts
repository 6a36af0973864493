// Class names for a model's outputs: mmaction2's label maps (Kinetics-400, UCF101; copied into
// assets/mmaction2/ with their NOTICE), a file with one name per line, or a checkpoint's own list.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";

/** The label maps shipped in assets/mmaction2/ (Apache-2.0, see its NOTICE). */
export const LABEL_MAPS = { k400: "label_map_k400.txt", ucf101: "label_map_ucf101.txt" } as const;
export type LabelMapName = keyof typeof LABEL_MAPS;

/** assets/ of this package: two levels above this file in src/data/ and in dist/data/ alike. */
export function assetPath(...parts: string[]): string {
  return resolve(__dirname, "..", "..", "assets", ...parts);
}

/** mmaction2's demo clip (assets/mmaction2/demo.mp4): Kinetics-400 models call it "arm wrestling". */
export const DEMO_VIDEO = assetPath("mmaction2", "demo.mp4");

/** The label map a class count suggests: 400 -> k400, 101 -> ucf101, else none. */
export function defaultLabelMap(numClasses: number): LabelMapName | undefined {
  return numClasses === 400 ? "k400" : numClasses === 101 ? "ucf101" : undefined;
}

/**
 * Class names for `numClasses` outputs from `spec`: "k400", "ucf101" or a text file (one name per
 * line). Throws naming the file and both counts when they differ.
 */
export async function readLabels(spec: string, numClasses: number): Promise<string[]> {
  const file = spec in LABEL_MAPS ? assetPath("mmaction2", LABEL_MAPS[spec as LabelMapName]) : spec;
  if (!existsSync(file)) throw new Error(`labels "${spec}": no such file; use k400, ucf101 or a text file with one class name per line`);
  const names = (await readFile(file, "utf8")).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  if (names.length !== numClasses) throw new Error(`labels ${spec}: ${names.length} names for a model with ${numClasses} classes`);
  return names;
}

/** "class 0", "class 1", ...: when nothing names the classes. */
export function numberedLabels(numClasses: number): string[] {
  return Array.from({ length: numClasses }, (_, i) => `class ${i}`);
}

