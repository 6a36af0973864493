// mmaction2's model-zoo figures for one config, read from the metafile this repository ships
// (assets/mmaction2/slowfast_metafile.yml, at the commit in assets/mmaction2/MMACTION2_COMMIT), so a
// notebook can hold the figures it counts against what the zoo publishes.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface ZooFigures {
  /** As the zoo writes it, rounded: "34.5M". */
  params: string;
  /** As the zoo writes it: "36.3G". */
  flops: string;
  /** Kinetics-400 top-1 accuracy, percent. */
  top1: number;
}

/** The project root: this file is src/notebook/zoo.ts (or dist/notebook/zoo.js), two levels below it. */
const METAFILE = resolve(__dirname, "..", "..", "assets", "mmaction2", "slowfast_metafile.yml");

/** The figures of the model `name` (e.g. "slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb"). */
export function zooFigures(name: string, metafile = METAFILE): ZooFigures {
  const text = readFileSync(metafile, "utf8");
  const start = text.indexOf(`- Name: ${name}\n`);
  if (start < 0) throw new Error(`zooFigures: no model "${name}" in ${metafile}`);
  const next = text.indexOf("\n  - Name: ", start + 1);
  const entry = text.slice(start, next < 0 ? undefined : next);
  const field = (key: string): string => {
    const m = new RegExp(`^\\s*${key}:\\s*(\\S+)\\s*$`, "m").exec(entry);
    if (!m) throw new Error(`zooFigures: model "${name}" has no "${key}" in ${metafile}`);
    return m[1];
  };
  return { params: field("Parameters"), flops: field("FLOPs"), top1: Number(field("Top 1 Accuracy")) };
}
