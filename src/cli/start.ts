// `slowfast start` (`npm start`), the main job: make the embedded synthetic data set if it is not
// there, train the small preset on it, test, write the report; the last line gives the test top-1
// accuracy, the chance level and where the report is.
import { Command } from "commander";
import { resolve } from "node:path";
import { generateSynthDataset, synthDefaultRoot } from "../data";
import { SMALL_RUN } from "../train/recipe";
import { runTraining } from "../train/run";
import { progressBar } from "../util/progress";
import { addRunOptions, finalLine, runOptionsFrom, type TrainCliOptions } from "./train";

export function startCommand(): Command {
  const cmd = new Command("start").description("the main job: synthetic motion data set -> train slowfast_tiny -> test -> HTML report");
  cmd.option("--data <dir>", "data set root (default: the synthetic set in data/generated/, made when absent)", synthDefaultRoot());
  return addRunOptions(cmd, { epochs: SMALL_RUN.epochs, out: "runs/start" }).action(async (o: TrainCliOptions) => {
    const started = Date.now();
    if (resolve(o.data) === synthDefaultRoot()) {
      const bar = progressBar("synth-motion {bar} {value}/{total} clips | ETA {eta_formatted}", { clearOnComplete: true });
      const synth = await generateSynthDataset(o.data, { onProgress: bar.update });
      bar.stop();
      console.log(`data: ${synth.clips} synthetic clips of ${synth.classes.length} motion classes in ${synth.root} (${synth.seconds.toFixed(1)} s)`);
    }
    const r = await runTraining(runOptionsFrom(o));
    r.model.dispose();
    console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(finalLine(r));
  });
}
