// `slowfast eval`: test a checkpoint with mmaction2's multi-clip protocol (num_clips evenly spaced
// clips per video, optionally three crops each; softmax scores averaged over the views).
import { Command, Option } from "commander";
import { describeBackend } from "../backend";
import { ClipLoader, loadUcf101 } from "../data";
import { SlowFast } from "../model";
import { loadCheckpoint, restoreModel } from "../train/checkpoint";
import { evaluate } from "../train/evaluate";
import { readableClips } from "../train/run";
import { positiveInt } from "./parse";

interface EvalCliOptions {
  checkpoint: string;
  data: string;
  split?: number;
  testClips: number;
  crops: string;
  frameInterval?: number;
  batch: number;
  json?: boolean;
}

export function evalCommand(): Command {
  return new Command("eval")
    .description("test a checkpoint on a data set's test split, averaging the scores of several clips per video")
    .requiredOption("--checkpoint <file>", "a .ckpt written by `slowfast train` / `npm start` (e.g. runs/start/best.ckpt)")
    .requiredOption("--data <dir>", "data set root in UCF101's layout")
    .option("--split <n>", "official split (default: the one the checkpoint was trained on)", positiveInt)
    .option("--test-clips <n>", "clips per video (mmaction2 tests UCF101 with 10)", positiveInt, 10)
    .addOption(new Option("--crops <n>", "1 centre crop or 3 crops per clip").choices(["1", "3"]).default("1"))
    .option("--frame-interval <n>", "default: the checkpoint's", positiveInt)
    .option("--batch <n>", "videos per batch", positiveInt, 2)
    .option("--json", "print the result as one JSON object")
    .action(async (o: EvalCliOptions) => {
      const ckpt = await loadCheckpoint(o.checkpoint);
      const { config } = ckpt.meta;
      const split = o.split ?? Number(ckpt.meta.split ?? 1);
      const dataset = await loadUcf101(o.data, { split, classes: config.numClasses });
      if (JSON.stringify(dataset.classes) !== JSON.stringify(ckpt.meta.classes)) {
        throw new Error(`${o.checkpoint} was trained on classes [${ckpt.meta.classes.slice(0, 4).join(", ")}, ...], but ${o.data} lists [${dataset.classes.slice(0, 4).join(", ")}, ...]`);
      }
      const model = new SlowFast(config);
      try {
        restoreModel(model, ckpt.model, o.checkpoint);
        const frameInterval = o.frameInterval ?? Number(ckpt.meta.frameInterval ?? 2);
        const { ok } = await readableClips(dataset.test, "test split", { clipLen: config.frames, frameInterval }, (l) => console.error(l));
        const loader = new ClipLoader(ok, {
          batchSize: o.batch,
          clipLen: config.frames,
          frameInterval,
          numClips: o.testClips,
          crops: Number(o.crops) as 1 | 3,
          size: config.size,
          mode: "test",
          seed: 1,
        });
        if (!o.json) console.error(describeBackend());
        const r = await evaluate(model, loader);
        const chance = 1 / config.numClasses;
        if (o.json) {
          console.log(JSON.stringify({ checkpoint: o.checkpoint, split, views: o.testClips * Number(o.crops), top1: r.top1, top5: r.top5, meanClassAccuracy: r.meanClassAccuracy, loss: r.loss, videos: r.videos, chance, confusion: r.confusion }));
        } else {
          console.log(`${o.checkpoint}: ${r.videos} test videos of split ${split}, ${o.testClips} clip(s) x ${o.crops} crop(s) each`);
          console.log(`top-1 ${(100 * r.top1).toFixed(1)}%, top-5 ${(100 * r.top5).toFixed(1)}%, mean class accuracy ${(100 * r.meanClassAccuracy).toFixed(1)}% (chance ${(100 * chance).toFixed(1)}%)`);
        }
      } finally {
        model.dispose();
      }
    });
}
