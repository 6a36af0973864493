// The canary for the training recipe: a reduced `npm start` (the same preset, optimiser, schedule
// shape and data generator; 4 of the 8 classes and fewer epochs) must still learn, far above
// chance. It fails when a change to the model, the data set or the recipe stops the model from
// learning, which no shape or parity test would notice. About a minute on the native backend;
// skipped on the pure-JS one (a training step there takes seconds).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { generateSynthDataset } from "../src/data/synth";
import { SMALL_RUN } from "../src/train/recipe";
import { runTraining } from "../src/train/run";
import { isNative } from "./helpers";

/** The reduced run: MoveLeft, MoveRight, MoveUp, MoveDown (chance 25%). */
export const CANARY = { classes: 4, epochs: 6, warmupEpochs: 1, holdEpochs: 3, minTestTop1: 0.6 };

const dir = mkdtempSync(join(tmpdir(), "slowfast-learning-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test(`a reduced npm start (${CANARY.classes} classes, ${CANARY.epochs} epochs) reaches ${100 * CANARY.minTestTop1}% test top-1`, { skip: isNative() ? false : "needs the native backend (minutes on pure JS)" }, async () => {
  const synth = await generateSynthDataset(join(dir, "synth-motion"), { clipsPerClass: SMALL_RUN.clipsPerClass });
  const started = Date.now();
  const r = await runTraining({
    ...SMALL_RUN,
    ...CANARY,
    data: synth.root,
    split: 1,
    pathways: "slowfast",
    out: join(dir, "run"),
    resume: false,
    progressBar: false,
    log: () => undefined,
  });
  r.model.dispose();
  const curve = r.training.metrics.map((m) => `${(100 * (m.valTop1 ?? 0)).toFixed(0)}%`).join(" ");
  console.log(`# test top-1 ${(100 * r.test.top1).toFixed(1)}% (chance ${(100 * r.chance).toFixed(0)}%), validation per epoch ${curve}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  assert.ok(r.test.top1 >= CANARY.minTestTop1, `test top-1 ${(100 * r.test.top1).toFixed(1)}% is below ${100 * CANARY.minTestTop1}% (validation per epoch: ${curve}): the recipe no longer learns`);
});
