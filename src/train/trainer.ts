// The training loop: epochs of optimiser steps with a warm-up + cosine learning rate, a progress bar,
// validation after every epoch, metrics as JSON lines, atomic checkpoints (last and best), resume.
//
// Determinism: the data order and augmentation depend only on (seed, epoch) (the loader), dropout
// masks only on (seed, step), the learning rate only on the step. So a run resumed from its epoch-e
// checkpoint continues exactly as the uninterrupted run would have (tested, also with the run killed
// at random points: test/faults.test.ts). The run folder is opened first (rundir.ts: locked, temp
// files of killed writes removed); a resume must ask for the same run (options.ts), and repairs a
// best.ckpt whose copy a kill interrupted.
import { existsSync } from "node:fs";
import { tf } from "../backend";
import type { SlowFast } from "../model";
import { epochBar } from "../util/progress";
import { dropoutSeed } from "../util/seed";
import { copyFileAtomic } from "./atomic";
import { loadCheckpoint, readCheckpointMeta, restoreModel, restoreOptimizer, saveCheckpoint, type CheckpointMeta } from "./checkpoint";
import { evaluate, type EvalResult } from "./evaluate";
import { truncateMetrics, writeMetrics, type EpochMetrics } from "./metrics";
import { makeOptimizer, type OptimizerConfig } from "./optimizer";
import { checkTrainOptions, runSignature, signatureChanges, type RunSignature } from "./options";
import { openRunDir, type RunDir } from "./rundir";
import { learningRateAt, type ScheduleConfig } from "./schedule";
import type { BatchSource } from "./source";
import { trainStep } from "./step";

export interface TrainOptions {
  epochs: number;
  optimizer: OptimizerConfig;
  /** Epochs of linear warm-up (from 0.1x the learning rate), then cosine to 0 at the last step. */
  warmupEpochs: number;
  /** Epochs at the peak learning rate after the warm-up, before the cosine (default 0). */
  holdEpochs?: number;
  /** Global gradient-norm clipping (mmaction2: 40). */
  clipNorm: number;
  seed: number;
  /** Where last.ckpt, best.ckpt and metrics.jsonl go (created if missing). */
  outDir: string;
  /** Continue from outDir/last.ckpt (which must exist). */
  resume?: boolean;
  /** When outDir holds a run and resume is off: "replace" it (default) or "refuse" (the CLI's default). */
  existing?: "replace" | "refuse";
  /** The folder, already opened by the caller (runTraining opens it before probing the data); it stays open. */
  runDir?: RunDir;
  /** Further options a resumed run must share with the checkpoint's (e.g. { batchSize: 8 }). */
  sameOnResume?: RunSignature;
  /** Class names, stored in the checkpoints for eval and reports. */
  classes: string[];
  /** Draw a progress bar on stderr (default: when stderr is a terminal). */
  progressBar?: boolean;
  /** One line per event (epoch summaries, checkpoints); default console.log. */
  log?: (line: string) => void;
  onStep?: (s: { epoch: number; step: number; loss: number; accuracy: number; lr: number }) => void;
  onEpoch?: (m: EpochMetrics, val?: EvalResult) => void;
  /** Stored in the checkpoints' meta (e.g. the data root and split). */
  meta?: Record<string, unknown>;
}

export interface TrainResult {
  metrics: EpochMetrics[];
  bestEpoch: number;
  bestValTop1: number;
  lastCheckpoint: string;
  bestCheckpoint: string;
  /** The evaluation after the last epoch (undefined without a validation source). */
  finalVal?: EvalResult;
}

export class NonFiniteLossError extends Error {}

export async function train(model: SlowFast, trainData: BatchSource, valData: BatchSource | undefined, opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  checkTrainOptions(opts);
  const stepsPerEpoch = trainData.batchesPerEpoch;
  if (stepsPerEpoch === 0) throw new Error("train: the training data has no batches (fewer clips than one batch?)");
  const signature = runSignature(opts, stepsPerEpoch, opts.sameOnResume);
  const schedule: ScheduleConfig = {
    lr: opts.optimizer.lr,
    totalSteps: opts.epochs * stepsPerEpoch,
    warmupSteps: Math.round(opts.warmupEpochs * stepsPerEpoch),
    holdSteps: Math.round((opts.holdEpochs ?? 0) * stepsPerEpoch),
    warmupStartFactor: 0.1,
    minLr: 0,
  };
  const optimizer = makeOptimizer(opts.optimizer, model.trainableVariables());
  let dir: RunDir | undefined;
  let startEpoch = 0;
  let step = 0;
  let bestValTop1 = -1;
  let bestEpoch = 0;
  let metrics: EpochMetrics[] = [];
  try {
    dir = opts.runDir ?? (await openRunDir(opts.outDir, { resume: opts.resume ?? false, existing: opts.existing ?? "replace", log }));
    const { last: lastFile, best: bestFile, metrics: metricsFile } = dir;
    if (opts.resume) {
      const ckpt = await loadCheckpoint(lastFile);
      const refuse = (why: string) => {
        tf.dispose([...ckpt.model.values(), ...ckpt.optimizer.map((w) => w.tensor)]);
        return new Error(`--resume: ${lastFile} ${why}`);
      };
      if (JSON.stringify(ckpt.meta.config) !== JSON.stringify(model.config)) {
        throw refuse(`was saved from another model configuration (${ckpt.meta.config.name}); use another --out or drop --resume`);
      }
      const changes = ckpt.meta.run ? signatureChanges(ckpt.meta.run as RunSignature, signature) : [];
      if (changes.length > 0) throw refuse(`was trained with other options: ${changes.join(", ")}; resume with the same options, or start a new run in another --out`);
      restoreModel(model, ckpt.model, lastFile);
      restoreOptimizer(optimizer, ckpt.optimizer, lastFile);
      startEpoch = ckpt.meta.epoch;
      step = ckpt.meta.step;
      bestValTop1 = Number(ckpt.meta.bestValTop1 ?? -1);
      bestEpoch = Number(ckpt.meta.bestEpoch ?? 0);
      await repairBest(lastFile, bestFile, ckpt.meta, log);
      metrics = await truncateMetrics(metricsFile, startEpoch);
      const savedEpochs = (ckpt.meta.run as RunSignature | undefined)?.epochs;
      log(`resumed from ${lastFile}: epoch ${startEpoch}/${opts.epochs} done, step ${step}` + (savedEpochs !== undefined && savedEpochs !== opts.epochs ? ` (the run was for ${savedEpochs} epochs; the learning rate now follows a ${opts.epochs}-epoch schedule)` : ""));
    } else {
      await writeMetrics(metricsFile, []);
    }

    let finalVal: EvalResult | undefined;
    for (let epoch = startEpoch; epoch < opts.epochs; epoch++) {
      const t0 = performance.now();
      const bar = (opts.progressBar ?? process.stderr.isTTY) ? epochBar(epoch, opts.epochs, stepsPerEpoch) : undefined;
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let lr = 0;
      for await (const batch of trainData.batches(epoch)) {
        lr = learningRateAt(step, schedule);
        optimizer.learningRate = lr;
        const n = batch.labels.shape[0];
        const r = trainStep(model, optimizer, batch.clips, batch.labels, {
          clipNorm: opts.clipNorm,
          // Never 0: tfjs treats a seed of 0 as "no seed" and draws a random one.
          dropoutSeed: dropoutSeed(opts.seed, step),
        });
        tf.dispose([batch.clips, batch.labels]);
        if (!Number.isFinite(r.loss)) {
          bar?.stop();
          throw new NonFiniteLossError(
            `training stopped: the loss became ${r.loss} at epoch ${epoch + 1}, step ${step + 1} (learning rate ${lr.toExponential(2)}); ` +
              `the weights were not updated with it. Lower --lr (now ${opts.optimizer.lr}) or check the data; ` +
              (existsSync(lastFile) ? `the last good checkpoint is ${lastFile}` : "no checkpoint was written yet"),
          );
        }
        step++;
        lossSum += r.loss * n;
        correct += r.correct;
        seen += n;
        const seconds = (performance.now() - t0) / 1000;
        bar?.increment({ loss: (lossSum / seen).toFixed(3), acc: ((100 * correct) / seen).toFixed(1), cps: (seen / seconds).toFixed(1) });
        opts.onStep?.({ epoch: epoch + 1, step, loss: r.loss, accuracy: r.correct / n, lr });
      }
      bar?.stop();
      const trainSeconds = (performance.now() - t0) / 1000;
      const val = valData ? await evaluate(model, valData, 0) : undefined;
      finalVal = val;
      const m: EpochMetrics = {
        epoch: epoch + 1,
        step,
        lr,
        trainLoss: lossSum / Math.max(1, seen),
        trainAccuracy: correct / Math.max(1, seen),
        ...(val && { valLoss: val.loss, valTop1: val.top1, valTop5: val.top5 }),
        clipsPerSecond: seen / trainSeconds,
        seconds: (performance.now() - t0) / 1000,
      };
      metrics.push(m);
      await writeMetrics(metricsFile, metrics);
      const improved = val !== undefined && val.top1 > bestValTop1;
      if (improved) [bestValTop1, bestEpoch] = [val.top1, epoch + 1];
      const meta: CheckpointMeta = { config: model.config, epoch: epoch + 1, step, classes: opts.classes, bestValTop1, bestEpoch, seed: opts.seed, run: signature, ...opts.meta };
      await saveCheckpoint(lastFile, meta, model, optimizer);
      if (improved) await copyFileAtomic(lastFile, bestFile);
      log(
        `epoch ${epoch + 1}/${opts.epochs}: loss ${m.trainLoss.toFixed(3)}, train acc ${(100 * m.trainAccuracy).toFixed(1)}%` +
          (val ? `, val top-1 ${(100 * val.top1).toFixed(1)}% (loss ${val.loss.toFixed(3)})` : "") +
          `, ${m.clipsPerSecond.toFixed(1)} clips/s, ${m.seconds.toFixed(1)} s${improved ? ", best so far" : ""}`,
      );
      opts.onEpoch?.(m, val);
    }
    if (!existsSync(bestFile) && existsSync(lastFile)) await copyFileAtomic(lastFile, bestFile);
    return { metrics, bestEpoch, bestValTop1, lastCheckpoint: lastFile, bestCheckpoint: bestFile, finalVal };
  } finally {
    optimizer.dispose();
    if (!opts.runDir) dir?.release();
  }
}

/**
 * best.ckpt is copied from last.ckpt right after last.ckpt is written; a kill in between leaves it
 * absent or one best epoch behind, while last.ckpt already records the new best epoch. Then
 * last.ckpt IS the best one: copy it again. Any other disagreement is an error naming both files.
 */
async function repairBest(lastFile: string, bestFile: string, meta: CheckpointMeta, log: (l: string) => void): Promise<void> {
  const bestEpoch = Number(meta.bestEpoch ?? 0);
  if (bestEpoch === 0) return; // no validation yet: best.ckpt is made at the end
  let state = "is missing";
  if (existsSync(bestFile)) {
    const bestMeta = await readCheckpointMeta(bestFile).catch((err: Error) => err);
    if (!(bestMeta instanceof Error) && bestMeta.epoch === bestEpoch) return;
    state = bestMeta instanceof Error ? `is unreadable (${bestMeta.message})` : `holds epoch ${bestMeta.epoch}`;
  }
  if (meta.epoch === bestEpoch) {
    await copyFileAtomic(lastFile, bestFile);
    log(`${bestFile} ${state} (its copy was interrupted); copied again from ${lastFile} (epoch ${bestEpoch})`);
    return;
  }
  throw new Error(`--resume: ${lastFile} records epoch ${bestEpoch} as the best, but ${bestFile} ${state}; the run folder was changed by hand`);
}

