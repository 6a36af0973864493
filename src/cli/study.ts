// `slowfast study` (`npm run study`): runs `npm start`'s recipe for several seeds, with both
// pathways and each alone, and writes the table the README shows, so no figure there is typed by
// hand. Each run is a separate `slowfast start` process, timed from outside as a user would time
// it; the first one starts from an empty data/generated/ so its time includes making the data.
//
//   runs/study/<pathways>-seed<N>/   each run's checkpoints, eval.json and report.html
//   docs/study/study.json            every run's result (the notebooks read it)
//   docs/study/study.md              the table; README.md's copy sits between the study markers
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { backendInfo } from "../backend";
import { synthDefaultRoot } from "../data";
import type { PathwayMode } from "../model";
import { SMALL_RUN } from "../train/recipe";
import { positiveIntList } from "./parse";

const ROOT = resolve(__dirname, "..", "..");
export const STUDY_JSON = join(ROOT, "docs", "study", "study.json");
const STUDY_MD = join(ROOT, "docs", "study", "study.md");
const README = join(ROOT, "README.md");
const BEGIN = "<!-- study:begin (written by `npm run study`; do not edit) -->";
const END = "<!-- study:end -->";
const MODES: PathwayMode[] = ["slowfast", "slow_only", "fast_only"];

export interface StudyRun {
  pathways: PathwayMode;
  seed: number;
  testTop1: number;
  bestEpoch: number;
  /** Wall-clock seconds of the whole `slowfast start` process. */
  seconds: number;
  /** Whether this run started from an empty data/generated/ (its time includes making the data). */
  fromEmptyData: boolean;
  perClassRecall: number[];
  classes: string[];
}

export interface Study {
  command: string;
  createdAt: string;
  backend: string;
  cpu: string;
  recipe: typeof SMALL_RUN;
  runs: StudyRun[];
}


const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** One `slowfast start` run in its own process; its eval.json is the result. */
function runStart(pathways: PathwayMode, seed: number, out: string, fromEmptyData: boolean): StudyRun {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "slowfast.js"), "start", "--seed", String(seed), "--pathways", pathways, "--out", out, "--overwrite"], { stdio: "inherit" });
  const seconds = (Date.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`study: slowfast start --seed ${seed} --pathways ${pathways} failed (exit ${r.status ?? r.signal})`);
  const ev = JSON.parse(readFileSync(join(out, "eval.json"), "utf8")) as { top1: number; bestEpoch: number; confusion: number[][]; classes: string[] };
  const perClassRecall = ev.confusion.map((row, i) => row[i] / Math.max(1, row.reduce((a, b) => a + b, 0)));
  return { pathways, seed, testTop1: ev.top1, bestEpoch: ev.bestEpoch, seconds, fromEmptyData, perClassRecall, classes: ev.classes };
}

/** The markdown table: one row per pathway mode, mean then each seed; then SlowFast's lead per seed. */
export function studyTable(s: Study): string {
  const seeds = [...new Set(s.runs.map((r) => r.seed))].sort((a, b) => a - b);
  const lines = [
    `| pathways | mean test top-1 | ${seeds.map((k) => `seed ${k}`).join(" | ")} | slowest run |`,
    `|---|---|${seeds.map(() => "---|").join("")}---|`,
  ];
  const top1 = (mode: PathwayMode, seed: number) => s.runs.find((r) => r.pathways === mode && r.seed === seed)?.testTop1;
  for (const mode of MODES) {
    const runs = s.runs.filter((r) => r.pathways === mode);
    if (runs.length === 0) continue;
    const mean = runs.reduce((a, r) => a + r.testTop1, 0) / runs.length;
    const slowest = Math.max(...runs.map((r) => r.seconds));
    lines.push(`| ${mode} | ${pct(mean)} | ${seeds.map((k) => (top1(mode, k) === undefined ? "-" : pct(top1(mode, k)!))).join(" | ")} | ${slowest.toFixed(0)} s |`);
  }
  const leads = seeds.map((k) => {
    const [a, b] = [top1("slowfast", k), top1("slow_only", k)];
    return a === undefined || b === undefined ? "-" : `${(100 * (a - b)).toFixed(1)} points`;
  });
  lines.push(`| slowfast minus slow_only | | ${leads.join(" | ")} | |`);
  const first = s.runs.find((r) => r.fromEmptyData);
  return [
    `Made by \`${s.command}\` on ${s.createdAt.slice(0, 10)} (${s.backend}; ${s.cpu}). Test top-1 on the ${s.runs[0]?.classes.length ?? "?"}-class`,
    `synth-motion test split (chance ${pct(1 / (s.runs[0]?.classes.length ?? 1))}), each run \`npm start -- --seed N --pathways P\`, timed as a whole process` +
      (first ? `; the ${first.pathways} seed-${first.seed} run started from an empty \`data/generated/\` (${first.seconds.toFixed(0)} s including making the data).` : "."),
    "",
    ...lines,
  ].join("\n");
}

async function writeStudy(s: Study): Promise<void> {
  await mkdir(join(ROOT, "docs", "study"), { recursive: true });
  await writeFile(STUDY_JSON, JSON.stringify(s, null, 1) + "\n");
  const table = studyTable(s);
  await writeFile(STUDY_MD, `# npm start: seeds and pathway ablations\n\n${table}\n`);
  const readme = await readFile(README, "utf8");
  const [b, e] = [readme.indexOf(BEGIN), readme.indexOf(END)];
  if (b < 0 || e < b) throw new Error(`README.md has no study markers ("${BEGIN}" ... "${END}"); the table is in ${STUDY_MD}`);
  await writeFile(README, `${readme.slice(0, b + BEGIN.length)}\n${table}\n${readme.slice(e)}`);
}

export function studyCommand(): Command {
  return new Command("study")
    .description("npm start's recipe for several seeds, SlowFast vs Slow-only vs Fast-only; writes docs/study/ and README.md's table")
    .option("--seeds <list>", "comma-separated seeds", positiveIntList, [1, 2, 3])
    .option("--pathways <list>", "comma-separated pathway modes", (v: string) => v.split(",") as PathwayMode[], MODES)
    .option("--out <dir>", "where the runs go", "runs/study")
    .action(async (o: { seeds: number[]; pathways: PathwayMode[]; out: string }) => {
      const bad = o.pathways.filter((p) => !MODES.includes(p));
      if (bad.length > 0) throw new Error(`--pathways: unknown mode(s) ${bad.join(", ")}; valid: ${MODES.join(", ")}`);
      // The first run starts from an empty data/generated/, as on a fresh clone.
      rmSync(synthDefaultRoot(), { recursive: true, force: true });
      const runs: StudyRun[] = [];
      for (const seed of o.seeds) {
        for (const pathways of o.pathways) {
          console.log(`\n== study: seed ${seed}, ${pathways} (${runs.length + 1}/${o.seeds.length * o.pathways.length})`);
          runs.push(runStart(pathways, seed, join(o.out, `${pathways}-seed${seed}`), runs.length === 0));
        }
      }
      const study: Study = {
        command: `npm run study -- --seeds ${o.seeds.join(",")} --pathways ${o.pathways.join(",")}`,
        createdAt: new Date().toISOString(),
        backend: backendInfo().kind,
        cpu: `${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores`,
        recipe: SMALL_RUN,
        runs,
      };
      await writeStudy(study);
      console.log(`\n${studyTable(study)}\n\nwritten: ${STUDY_JSON}, ${STUDY_MD}, README.md`);
    });
}
