// `slowfast export --checkpoint W.ckpt --to mmaction2 --out DIR`: the road to multi-GPU training.
// Writes into DIR, after every check has passed (each file atomically):
//   <name>.pth   the weights as an mmaction2 checkpoint (torch.save zip of {meta, state_dict}),
//                which mmaction2's load_checkpoint loads strictly
//   <name>.py    an mmaction2 config: the preset as Recognizer3D, the data set's pipelines and
//                annotation files, mmaction2's SGD recipe, load_from = <name>.pth
//   ann/         the data set's split as mmaction2 annotation files ("<video> <label>" per line),
//                when the data set is here (--data, or the one the checkpoint was trained on)
// and prints the tools/dist_train.sh command.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import { Command, Option } from "commander";
import { defaultShortSide, loadUcf101 } from "../data";
import { encodeMmaction2Checkpoint, mmaction2Incompatibility } from "../interop/mmaction2";
import { mmaction2ConfigText, type Mmaction2DataSpec } from "../interop/mmaction2_config";
import { writeFileAtomic } from "../train/atomic";
import { loadWeights } from "../train/weights";
import { positiveInt, positiveNumber } from "./parse";

interface ExportCliOptions {
  checkpoint: string;
  to: string;
  out: string;
  data?: string;
  split?: number;
  name?: string;
  gpus: number;
  batch: number;
  epochs: number;
  lr: number;
}

export function exportCommand(): Command {
  return new Command("export")
    .description("write a checkpoint as mmaction2's, with an mmaction2 config and the dist_train.sh command to train it on many GPUs")
    .requiredOption("--checkpoint <file>", "a kit checkpoint (.ckpt, e.g. runs/start/best.ckpt) or an mmaction2 .pth")
    .addOption(new Option("--to <framework>", "target").choices(["mmaction2"]).makeOptionMandatory())
    .requiredOption("--out <dir>", "folder for <name>.pth, <name>.py and ann/")
    .option("--data <dir>", "data set in UCF101's layout (default: the one the checkpoint was trained on, if it is here)")
    .option("--split <n>", "split for the annotation files (default: the checkpoint's, else 1)", positiveInt)
    .option("--name <name>", "file name stem (default: <preset>_<data set>_split<N>)")
    .option("--gpus <n>", "GPUs for dist_train.sh", positiveInt, 8)
    .option("--batch <n>", "clips per GPU", positiveInt, 8)
    .option("--epochs <n>", "epochs in the config", positiveInt, 30)
    .option("--lr <x>", "SGD learning rate for gpus x batch clips per step (fine-tuning from trained weights)", positiveNumber, 0.01)
    .action(async (o: ExportCliOptions) => {
      const w = await loadWeights(o.checkpoint);
      try {
        const config = w.model.config;
        const problem = mmaction2Incompatibility(config);
        if (problem) throw new Error(`${o.checkpoint}: cannot be exported to mmaction2: ${problem}`);
        const split = o.split ?? (typeof w.meta.split === "number" ? w.meta.split : 1);
        const dataRoot = o.data ?? (typeof w.meta.data === "string" && existsSync(w.meta.data) ? w.meta.data : undefined);
        const name = o.name ?? `${config.name}_${dataRoot ? basename(resolve(dataRoot)) : "ucf101"}_split${split}`;
        const outDir = resolve(o.out);
        const files: { path: string; data: string | Buffer }[] = [];
        let data: Mmaction2DataSpec;
        if (dataRoot) {
          const ds = await loadUcf101(dataRoot, { split, classes: config.numClasses });
          const named = w.classes && !w.classes.every((c, i) => c === `class ${i}`); // an import without labels numbers them
          if (named && JSON.stringify(ds.classes) !== JSON.stringify(w.classes)) {
            throw new Error(`${o.checkpoint} was trained on classes [${w.classes!.slice(0, 3).join(", ")}, ...], but ${dataRoot} lists [${ds.classes.slice(0, 3).join(", ")}, ...]`);
          }
          const videoRoot = resolve(ds.root, "UCF-101");
          const ann = (entries: typeof ds.train) => entries.map((e) => `${relative(videoRoot, resolve(e.path))} ${e.label}`).join("\n") + "\n";
          const annFile = (kind: string) => join(outDir, "ann", `${kind}_split${split}.txt`);
          files.push({ path: annFile("train"), data: ann(ds.train) }, { path: annFile("test"), data: ann(ds.test) });
          data = {
            videoRoot,
            annTrain: annFile("train"),
            annVal: annFile("test"),
            annTest: annFile("test"),
            flip: ds.augment.flip,
            areaRange: ds.augment.areaRange,
            description: `${ds.root} split ${split} (${ds.classes.length} classes: ${ds.train.length} train, ${ds.test.length} test clips; validation = the test list, as mmaction2's UCF101 configs)`,
          };
        } else {
          // mmaction2's own UCF101 layout (tools/data/ucf101/ makes these files).
          data = {
            videoRoot: "data/ucf101/videos",
            annTrain: `data/ucf101/ucf101_train_split_${split}_videos.txt`,
            annVal: `data/ucf101/ucf101_val_split_${split}_videos.txt`,
            annTest: `data/ucf101/ucf101_val_split_${split}_videos.txt`,
            flip: true,
            areaRange: [0.08, 1],
            description: `UCF101 split ${split} in mmaction2's layout (made by its tools/data/ucf101/ scripts); no data set was given to write annotation files from`,
          };
        }
        const pth = join(outDir, `${name}.pth`);
        const py = join(outDir, `${name}.py`);
        const frameInterval = typeof w.meta.frameInterval === "number" ? w.meta.frameInterval : 2;
        const testClips = typeof w.meta.testClips === "number" ? w.meta.testClips : 10;
        const step = typeof w.meta.step === "number" ? w.meta.step : 0;
        const dist = `bash tools/dist_train.sh ${py} ${o.gpus}`;
        files.push({
          path: pth,
          data: encodeMmaction2Checkpoint(w.model, { exported_by: "slowfast-notebook-kit (slowfast export)", source: resolve(o.checkpoint), preset: config.name, ...(w.classes && { classes: w.classes }) }, step),
        });
        files.push({
          path: py,
          data: mmaction2ConfigText({
            config,
            data,
            loadFrom: pth,
            frameInterval,
            testClips,
            shortSide: defaultShortSide(config.size),
            epochs: o.epochs,
            batchPerGpu: o.batch,
            gpus: o.gpus,
            lr: o.lr,
            header: [
              `mmaction2 config written by \`slowfast export\` from ${resolve(o.checkpoint)} (${w.describe}).`,
              `Model: the kit's preset ${config.name} as mmaction2's Recognizer3D (ResNet3dSlowFast + SlowFastHead).`,
              `Train on ${o.gpus} GPU(s), from the root of an mmaction2 (1.x) checkout:`,
              `  ${dist}`,
              `One GPU: python tools/train.py ${py}`,
            ],
          }),
        });
        await mkdir(join(outDir, "ann"), { recursive: true });
        for (const f of files) await writeFileAtomic(f.path, f.data);
        console.log(`${o.checkpoint}: ${w.describe}`);
        for (const f of files) console.log(`wrote ${f.path}`);
        console.log(`train it with mmaction2 on ${o.gpus} GPU(s), from an mmaction2 checkout:\n  ${dist}`);
      } finally {
        w.model.dispose();
      }
    });
}
