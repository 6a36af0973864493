// Finding a trained SlowFast for notebook 11: the first of a list of checkpoints (npm start's
// runs/start/best.ckpt, notebook 10's baseline, ...) that exists and fits, with the reason for each
// one that does not.
import { existsSync } from "node:fs";
import { readCheckpointMeta, type CheckpointMeta } from "../train/checkpoint";

/** Why a checkpoint cannot serve for per-pathway Grad-CAM of MoveLeft vs MoveRight, or null when it can. */
export function trainedRunProblem(meta: CheckpointMeta, needClasses: readonly string[]): string | null {
  if (meta.config.pathways !== "slowfast") return `trained with pathways ${meta.config.pathways}; both pathways are needed`;
  if (meta.config.fast.conv1Kernel[0] < 2) return `its fast conv1 has no temporal kernel (${meta.config.fast.conv1Kernel.join("x")})`;
  const missing = needClasses.filter((c) => !meta.classes.includes(c));
  if (missing.length > 0) return `its classes (${meta.classes.join(", ")}) lack ${missing.join(", ")}`;
  return null;
}

export interface FoundRun {
  /** The checkpoint that fits, or undefined when none does. */
  file?: string;
  meta?: CheckpointMeta;
  /** One line per candidate passed over: "<file>: <reason>". */
  skipped: string[];
}

export async function findTrainedRun(files: readonly string[], needClasses: readonly string[]): Promise<FoundRun> {
  const skipped: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) {
      skipped.push(`${file}: not there`);
      continue;
    }
    const meta = await readCheckpointMeta(file).catch((err: Error) => err);
    if (meta instanceof Error) {
      skipped.push(`${file}: unreadable (${meta.message})`);
      continue;
    }
    const problem = trainedRunProblem(meta, needClasses);
    if (problem) skipped.push(`${file}: ${problem}`);
    else return { file, meta, skipped };
  }
  return { skipped };
}
