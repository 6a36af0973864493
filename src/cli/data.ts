// `slowfast data ...`: check a UCF101-layout tree, generate the synthetic set, download UCF101.
import { resolve } from "node:path";
import { Command } from "commander";
import { SingleBar } from "cli-progress";
import { checkDataset, formatCheck } from "../data/check";
import { downloadUcf101 } from "../data/download";
import { generateSynthDataset, SYNTH_CLIPS_PER_CLASS, SYNTH_DEFAULT_DIR, synthDefaultRoot } from "../data/synth";
import { loadUcf101 } from "../data/ucf101";
import { progressBar, type Progress } from "../util/progress";
import { integer, positiveInt } from "./parse";

/** A progress bar on stderr when it is a terminal; silent otherwise (logs and --json stay clean). */
function clipsBar(label: string): Progress {
  return progressBar(`${label} [{bar}] {percentage}% | {value}/{total} clips | {duration_formatted} (ETA {eta_formatted})`);
}

function checkCommand(): Command {
  return new Command("check")
    .description("count listed/found/missing/unreadable clips per split and decode each found clip once (frames, size, fps); works on a partial tree")
    .requiredOption("--root <dir>", "directory holding UCF-101/ and ucfTrainTestlist/")
    .option("--split <n>", "official split 1, 2 or 3", positiveInt, 1)
    .option("--classes <k>", "only the first k classes of classInd.txt", positiveInt)
    .option("--jobs <n>", "ffmpeg processes at once (default: CPU cores)", positiveInt)
    .option("--json", "print one JSON object: {splits: {train, test}, classes, clips: [...]}")
    .action(async (opts: { root: string; split: number; classes?: number; jobs?: number; json?: boolean }) => {
      const bar = opts.json ? undefined : clipsBar("decoding");
      const report = await checkDataset(resolve(opts.root), { split: opts.split, classes: opts.classes, concurrency: opts.jobs, onProgress: bar?.update });
      bar?.stop();
      console.log(opts.json ? JSON.stringify(report) : formatCheck(report));
    });
}

function synthCommand(): Command {
  return new Command("synth")
    .description("generate synth-motion: 8 motion classes (left/right, approach/recede, speed up/slow down, clockwise/anticlockwise) in UCF101's layout")
    .option("--out <dir>", `output directory (default: ${SYNTH_DEFAULT_DIR} in the project)`)
    .option("--seed <s>", "random seed: the same seed gives the same clips", integer, 0)
    .option("--clips-per-class <n>", "clips per class (groups of 4, split by group like UCF101)", positiveInt, SYNTH_CLIPS_PER_CLASS)
    .option("--force", "regenerate even if the same set is already there")
    .action(async (opts: { out?: string; seed: number; clipsPerClass: number; force?: boolean }) => {
      const out = resolve(opts.out ?? synthDefaultRoot());
      const bar = clipsBar("encoding");
      const r = await generateSynthDataset(out, { seed: opts.seed, clipsPerClass: opts.clipsPerClass, force: opts.force, onProgress: bar.update });
      bar.stop();
      const ds = await loadUcf101(r.root);
      console.log(`${r.root}: ${r.clips} clips, ${r.classes.length} classes (${r.classes.join(", ")}) in ${r.seconds.toFixed(1)} s`);
      console.log(`  split 1: ${ds.train.length} train, ${ds.test.length} test clips; no horizontal flip (it would swap left/right and clockwise/anticlockwise)`);
    });
}

function downloadCommand(): Command {
  return new Command("download")
    .description("download UCF101 (6.5 GB) and its official splits into --root, unpack and check; resumable: rerun after an interruption")
    .requiredOption("--root <dir>", "where UCF-101/ and ucfTrainTestlist/ will be")
    .option("--videos-url <url>", "URL of UCF101.rar (or a .zip with UCF-101/ inside); env SLOWFAST_UCF101_VIDEOS_URL")
    .option("--splits-url <url>", "URL of the split lists archive; env SLOWFAST_UCF101_SPLITS_URL")
    .action(async (opts: { root: string; videosUrl?: string; splitsUrl?: string }) => {
      const root = resolve(opts.root);
      let bar: SingleBar | undefined;
      let current = "";
      const mb = (n: number) => (n / 2 ** 20).toFixed(1);
      await downloadUcf101({
        root,
        videosUrl: opts.videosUrl,
        splitsUrl: opts.splitsUrl,
        onStep: (m) => {
          bar?.stop();
          bar = undefined;
          console.error(m);
        },
        onProgress: (p) => {
          if (!process.stderr.isTTY) return;
          if (!bar || current !== p.name) {
            current = p.name;
            if (p.resumedFrom > 0) console.error(`  resuming at ${mb(p.resumedFrom)} MiB`);
            bar = new SingleBar({ format: `${p.name} [{bar}] {percentage}% | {value}/{total} MiB | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true });
            bar.start(Number(mb(p.total ?? 0)), Number(mb(p.received)));
          }
          bar.update(Number(mb(p.received)));
        },
      });
      bar?.stop();
      // A quick check without decoding: every listed clip of split 1 present?
      const ds = await loadUcf101(root);
      const { stat } = await import("node:fs/promises");
      const all = [...ds.train, ...ds.test];
      const found = (await Promise.all(all.map((e) => stat(e.path).then(() => 1, () => 0)))).reduce<number>((a, b) => a + b, 0);
      console.log(`${root}: ${ds.classes.length} classes, split 1 lists ${all.length} clips, ${found} present`);
      console.log(`next: \`slowfast data check --root ${root}\` decodes every clip once (a few minutes)`);
    });
}

export function dataCommand(): Command {
  return new Command("data")
    .description("data sets: check a UCF101 tree, generate the synthetic set, download UCF101")
    .addCommand(checkCommand())
    .addCommand(synthCommand())
    .addCommand(downloadCommand());
}
