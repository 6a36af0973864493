// `slowfast infer --weights W --video V`: top-k labels of one video under mmaction2's test
// pipeline for the preset (SampleFrames test mode, resize short side, centre or three crops,
// mmaction2's mean/std), softmax scores averaged over the views. --input clip.npy (float32 NCTHW,
// what mmaction2's model takes after its data preprocessor) skips decoding, so logits can be
// compared with PyTorch on the very same numbers.
import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { backendInfo, describeBackend, tf } from "../backend";
import { defaultLabelMap, numberedLabels, readLabels } from "../data/labels";
import { parseNpy } from "../interop/npy";
import { PRESET_NAMES } from "../model";
import { averagedScores, predictVideo, topK, viewSize } from "../train/predict";
import { loadWeights, weightsKind } from "../train/weights";
import { positiveInt } from "./parse";

interface InferCliOptions {
  weights: string;
  video?: string;
  input?: string;
  preset?: string;
  labels?: string;
  clips: number;
  crops: string;
  frameInterval?: number;
  top: number;
  json?: boolean;
}

export function inferCommand(): Command {
  return new Command("infer")
    .description("top-k labels of a video (or of a clip.npy) under mmaction2's test pipeline, scores averaged over the views")
    .requiredOption("--weights <file>", "an mmaction2 checkpoint (.pth) or a kit checkpoint (.ckpt)")
    .option("--video <file>", "a video file (anything ffmpeg decodes)")
    .option("--input <clip.npy>", "instead of --video: float32 [N, 3, T, H, W] (NCTHW, normalised), N views averaged")
    .option("--preset <name>", `for a .pth, instead of inferring it: ${PRESET_NAMES.join(", ")}`)
    .option("--labels <spec>", "k400, ucf101 or a file with one class name per line (default: the .ckpt's classes; k400 for 400 classes, ucf101 for 101)")
    .option("--clips <n>", "clips evenly spaced over the video (mmaction2 tests Kinetics-400 with 10)", positiveInt, 1)
    .addOption(new Option("--crops <n>", "1 centre crop, or 3 crops of the short side (mmaction2's ThreeCrop)").choices(["1", "3"]).default("1"))
    .option("--frame-interval <n>", "frames between sampled frames (default: the .ckpt's, else 2 as mmaction2's Kinetics-400 configs)", positiveInt)
    .option("--top <k>", "labels to print", positiveInt, 5)
    .option("--json", "print one JSON object: {weights, preset, backend, input, top, scores}")
    .action(async (o: InferCliOptions) => {
      if (!o.video === !o.input) throw new Error("give exactly one of --video FILE or --input clip.npy");
      const crops = Number(o.crops) as 1 | 3;
      let clip: { shape: number[]; data: Float32Array } | undefined;
      if (o.input) {
        clip = parseNpy(await readFile(o.input).catch((e: NodeJS.ErrnoException) => { throw new Error(`${o.input}: cannot read (${e.code ?? e.message})`); }), o.input);
        const [, c, , h, w] = clip.shape;
        if (clip.shape.length !== 5 || c !== 3 || h !== w) throw new Error(`${o.input}: shape (${clip.shape}); expected (N, 3, T, S, S): NCTHW, square frames`);
      }
      // The model's input size: the clip's, or the views' (three crops are short-side squares).
      const kind = await weightsKind(o.weights);
      const w = await loadWeights(o.weights, {
        preset: kind === "mmaction2" ? o.preset : undefined,
        overrides: (cfg) => (clip ? { size: clip.shape[3], frames: clip.shape[2] } : { size: viewSize(cfg.size, crops) }),
      });
      const { model } = w;
      try {
        const cfg = model.config;
        const spec = o.labels ?? (w.classes ? undefined : defaultLabelMap(cfg.numClasses));
        const labels = spec ? await readLabels(spec, cfg.numClasses) : (w.classes ?? numberedLabels(cfg.numClasses));
        let scores: Float32Array;
        let input: Record<string, unknown>;
        if (clip) {
          // NCTHW -> NDHWC, the kit's layout.
          const views = tf.tidy(() => tf.transpose(tf.tensor5d(clip!.data, clip!.shape as [number, number, number, number, number], "float32"), [0, 2, 3, 4, 1]));
          scores = averagedScores(model, views);
          views.dispose();
          input = { npy: o.input, shape: clip.shape, layout: "NCTHW" };
        } else {
          const frameInterval = o.frameInterval ?? Number(w.meta.frameInterval ?? 2);
          const r = await predictVideo(model, o.video!, { clips: o.clips, crops, frameInterval });
          scores = r.scores;
          input = { video: o.video, clips: o.clips, crops, frameInterval, views: r.views };
        }
        const top = topK(scores, labels, o.top);
        if (o.json) {
          console.log(JSON.stringify({ weights: o.weights, preset: cfg.name, backend: backendInfo().kind, input, top, scores: Array.from(scores) }));
          return;
        }
        console.error(describeBackend());
        console.log(`weights: ${o.weights} (${w.describe})`);
        console.log(`input: ${o.video ? `${o.video}, ${o.clips} clip(s) x ${crops} crop(s) of ${cfg.frames} frames at ${cfg.size}x${cfg.size}` : `${o.input} (${clip!.shape.join("x")}, NCTHW)`}`);
        for (const p of top) console.log(`${(100 * p.score).toFixed(2).padStart(6)}%  ${p.label} (${p.index})`);
      } finally {
        model.dispose();
      }
    });
}
