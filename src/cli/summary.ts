// `slowfast summary`: the per-stage table of a preset, from a real forward pass.
import { Command } from "commander";
import { backendInfo, describeBackend } from "../backend";
import { PRESET_NAMES, presetConfig, SlowFast, formatSummary, summarize } from "../model";

import { positiveInt } from "./parse";

/** Kept for the commands that import it from here; the parsers live in parse.ts. */

export function summaryCommand(): Command {
  return new Command("summary")
    .description("run a preset on a random clip and print per-stage shapes, parameter counts and multiply-adds")
    .option("--preset <name>", `one of: ${PRESET_NAMES.join(", ")}`, "slowfast_r50_4x16x1")
    .option("--frames <T>", "input frames (default: the preset's; 32 for the R50 presets)", positiveInt)
    .option("--size <S>", "input height and width (default: the preset's; 224 for R50)", positiveInt)
    .option("--classes <K>", "number of classes (default: the preset's; 400 for R50)", positiveInt)
    .option("--json", "print one JSON object instead of the table")
    .action((opts: { preset: string; frames?: number; size?: number; classes?: number; json?: boolean }) => {
      const config = presetConfig(opts.preset, {
        ...(opts.frames !== undefined && { frames: opts.frames }),
        ...(opts.size !== undefined && { size: opts.size }),
        ...(opts.classes !== undefined && { numClasses: opts.classes }),
      });
      const model = new SlowFast(config);
      try {
        const s = summarize(model);
        if (opts.json) {
          const { preset, input, params, stages, macs } = s;
          console.log(JSON.stringify({ preset, backend: backendInfo().kind, input, params, stages, macs }));
        } else {
          console.log(describeBackend());
          console.log(formatSummary(s));
        }
      } finally {
        model.dispose();
      }
    });
}
