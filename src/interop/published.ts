// mmaction2's published Kinetics-400 SlowFast R50 checkpoints (assets/mmaction2/slowfast_metafile.yml,
// mmaction2's metafile at the commit in assets/mmaction2/MMACTION2_COMMIT): where they come from,
// what they score, where the kit looks for a downloaded copy. This machine has no internet, so
// nothing here is fetched: a learner downloads the file into data/pretrained/ (or names it with
// SLOWFAST_PRETRAINED).
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";

export interface PublishedCheckpoint {
  /** The kit preset it loads into. */
  preset: "slowfast_r50_4x16x1" | "slowfast_r50_8x8x1";
  /** mmaction2's config (and model) name. */
  name: string;
  url: string;
  /** Kinetics-400 validation accuracy mmaction2 reports (10 clips x 3 crops). */
  top1: number;
  top5: number;
}

export const PUBLISHED_K400: readonly PublishedCheckpoint[] = [
  {
    preset: "slowfast_r50_4x16x1",
    name: "slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb",
    url: "https://download.openmmlab.com/mmaction/v1.0/recognition/slowfast/slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb/slowfast_r50_8xb8-4x16x1-256e_kinetics400-rgb_20220901-701b0f6f.pth",
    top1: 75.55,
    top5: 92.35,
  },
  {
    preset: "slowfast_r50_8x8x1",
    name: "slowfast_r50_8xb8-8x8x1-256e_kinetics400-rgb",
    url: "https://download.openmmlab.com/mmaction/v1.0/recognition/slowfast/slowfast_r50_8xb8-8x8x1-256e_kinetics400-rgb/slowfast_r50_8xb8-8x8x1-256e_kinetics400-rgb_20220818-1cb6dfc8.pth",
    top1: 76.8,
    top5: 92.99,
  },
];

/** Where the kit looks for a downloaded copy: data/pretrained/<the URL's file name>. */
export function publishedPath(c: PublishedCheckpoint, root = resolve(__dirname, "..", "..")): string {
  return join(root, "data", "pretrained", basename(c.url));
}

/** The first published checkpoint present here ($SLOWFAST_PRETRAINED first), or undefined. */
export function findPublished(root?: string): { file: string; checkpoint: PublishedCheckpoint } | undefined {
  const env = process.env.SLOWFAST_PRETRAINED;
  if (env && existsSync(env)) {
    const byName = PUBLISHED_K400.find((c) => basename(env) === basename(c.url)) ?? PUBLISHED_K400[0];
    return { file: env, checkpoint: byName };
  }
  for (const c of PUBLISHED_K400) {
    const file = publishedPath(c, root);
    if (existsSync(file)) return { file, checkpoint: c };
  }
  return undefined;
}
