// `slowfast import FILE.pth --out W.ckpt`: an mmaction2 checkpoint (torch.save zip or legacy
// pickle; {meta, state_dict} or a bare state_dict) -> the kit's .ckpt, preset inferred from the
// shapes unless --preset is given. Every problem is one line naming the file; nothing is written
// unless the whole state dict maps onto the preset (the .ckpt is written atomically).
import { statSync } from "node:fs";
import { Command } from "commander";
import { describeBackend } from "../backend";
import { defaultLabelMap, numberedLabels, readLabels } from "../data/labels";
import { PRESET_NAMES } from "../model";
import { saveCheckpoint } from "../train/checkpoint";
import { loadWeights } from "../train/weights";

interface ImportCliOptions {
  out: string;
  preset?: string;
  labels?: string;
}

export function importCommand(): Command {
  return new Command("import")
    .description("convert an mmaction2 checkpoint (.pth) into the kit's .ckpt (preset inferred from the tensor shapes)")
    .argument("<file>", "mmaction2 checkpoint: torch.save of {meta, state_dict} (as published) or of a bare state_dict")
    .requiredOption("--out <file>", "the .ckpt to write (atomically; nothing is written on any error)")
    .option("--preset <name>", `instead of inferring it: ${PRESET_NAMES.join(", ")}`)
    .option("--labels <spec>", "class names stored in the .ckpt: k400, ucf101 or a file with one name per line (default: k400 for 400 classes, ucf101 for 101)")
    .action(async (file: string, o: ImportCliOptions) => {
      const started = Date.now();
      const w = await loadWeights(file, { preset: o.preset });
      try {
        const { config } = w.model;
        const spec = o.labels ?? defaultLabelMap(config.numClasses);
        const classes = spec ? await readLabels(spec, config.numClasses) : numberedLabels(config.numClasses);
        const source = { file, kind: w.kind, labels: spec ?? "numbered", mmaction2Meta: w.meta };
        await saveCheckpoint(o.out, { config, epoch: 0, step: 0, classes, importedFrom: source }, w.model);
        console.error(describeBackend());
        console.log(`${file}: ${w.describe}`);
        const mb = (statSync(o.out).size / 1e6).toFixed(1);
        console.log(`wrote ${o.out} (${mb} MB): ${w.model.paramCounts().total.toLocaleString("en-US")} parameters, ${config.numClasses} classes (labels: ${spec ?? "numbered"}), in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } finally {
        w.model.dispose();
      }
    });
}
