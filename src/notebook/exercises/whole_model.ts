// Checkers for notebook 06 (the whole model): predict a SlowFast's parameter count by arithmetic.
// A wrong count is matched against the model's parts, so the verdict can say what it is off by
// ("215,680 too few = the laterals").
import { presetConfig, type SlowFastConfig } from "../../model/config";
import { STAGE_NAMES, SlowFast } from "../../model/slowfast";
import { call, check, CheckFailure } from "../check";

/** Trainable parameters of the library's model for `cfg` (builds it: keep cfg small). */
export function paramsFromLibrary(cfg: SlowFastConfig): number {
  const model = new SlowFast(cfg);
  try {
    return model.paramCounts().total;
  } finally {
    model.dispose();
  }
}

/** Small bottleneck variants the checker builds (cheap), each changing one thing. */
export function predictParamsCases(): { what: string; cfg: SlowFastConfig }[] {
  const t = (what: string, overrides: Partial<SlowFastConfig>) => ({ what, cfg: presetConfig("slowfast_test", overrides) });
  const base = presetConfig("slowfast_test");
  return [
    t("slowfast_test", {}),
    t("slowfast_test, 101 classes", { numClasses: 101 }),
    t("slowfast_test, betaInv 2", { betaInv: 2 }),
    t("slowfast_test, width 16, betaInv 8", { width: 16, betaInv: 8 }),
    t("slowfast_test, blocks (3,4,6,3)", { stageBlocks: [3, 4, 6, 3] }),
    t("slowfast_test, lateral kernel 7", { lateral: { kind: "time_strided_conv", kernelT: 7 } }),
    t("slowfast_test, time_to_channel laterals", { lateral: { kind: "time_to_channel", kernelT: 5 } }),
    t("slowfast_test, time_strided_sample laterals", { lateral: { kind: "time_strided_sample", kernelT: 5 } }),
    t("slowfast_test, slow inflated everywhere, fast conv1 (3,7,7)", { slow: { ...base.slow, inflate: [1, 1, 1, 1] }, fast: { conv1Kernel: [3, 7, 7], inflate: [1, 1, 1, 1] } }),
  ];
}

/** Named parts of a model with their trainable parameter counts: what a wrong total may have left out or counted twice. */
export function paramParts(model: SlowFast): [string, number][] {
  const where = (test: (name: string) => boolean) => {
    let total = 0;
    for (const [name, e] of model.params.entries) if (e.trainable && test(name)) total += e.variable.size;
    return total;
  };
  const under = (prefix: string) => where((n) => n.startsWith(prefix));
  const res5 = model.plan().find((p) => p.name === "res5")!;
  const classes = model.config.numClasses;
  const parts: [string, number][] = [
    ["the laterals", under("lateral.")],
    ["the head (fc weight and bias)", under("head.")],
    ["the fc bias", under("head.fc.bias")],
    ["the fc rows of the fast features", (res5.fast?.[4] ?? 0) * classes],
    ["the fc rows of the slow features", (res5.slow?.[4] ?? 0) * classes],
    ["the fast pathway", under("fast.")],
    ["the slow pathway without the laterals", under("slow.")],
    ["the two stems", under("slow.conv1.") + under("fast.conv1.")],
    ["the shortcut projections (downsample)", where((n) => n.includes(".downsample."))],
    ["the batch norms' gamma and beta", where((n) => n.includes(".bn."))],
  ];
  for (const site of ["conv1", ...STAGE_NAMES.slice(0, 3)]) parts.push([`the lateral after ${site}`, under(`lateral.${site}.`)]);
  for (const pathway of ["slow", "fast"]) {
    parts.push([`the ${pathway} stem`, under(`${pathway}.conv1.`)]);
    for (const stage of STAGE_NAMES) parts.push([`${pathway} ${stage}`, under(`${pathway}.${stage}.`)]);
  }
  return parts.filter(([, n]) => n > 0);
}

/** "215,680 too few = the laterals", or that no single part has that many. */
export function explainParamDifference(model: SlowFast, got: number): string {
  const diff = got - model.paramCounts().total;
  const n = Math.abs(diff).toLocaleString("en-US");
  const matches = paramParts(model).filter(([, count]) => count === Math.abs(diff)).map(([label]) => label);
  const which = matches.length ? ` = ${matches.join(", or ")}` : ": no single part of the model has exactly that many parameters";
  return `${n} too ${diff < 0 ? "few" : "many"}${which}`;
}

function expectCount(what: string, cfg: SlowFastConfig, expected: number, got: unknown): void {
  if (got === expected) return;
  if (typeof got !== "number" || !Number.isFinite(got)) throw new CheckFailure(`${what}: expected ${expected}, got ${String(got)}`);
  const model = new SlowFast(cfg);
  try {
    throw new CheckFailure(`${what}: expected ${expected}, got ${got}: ${explainParamDifference(model, got)}`);
  } finally {
    model.dispose();
  }
}

/** The reference's full-size counts (mmaction2's metafile; test/notebook-exercises-late.test.ts checks the library gives them). */
export const R50_PARAMS = { slowfast_r50_4x16x1: 34_479_288, slowfast_r50_8x8x1: 34_565_560 } as const;

/** 6.1: the parameter count of any bottleneck SlowFast config, by arithmetic alone. */
export function checkPredictParams(predict: (cfg: SlowFastConfig) => number): void {
  return check("6.1", "predict the parameter count of a SlowFast variant", () => {
    for (const [name, count] of Object.entries(R50_PARAMS)) {
      const cfg = presetConfig(name);
      expectCount(`parameters of ${name}`, cfg, count, call("predictParams", () => predict(cfg)));
    }
    for (const { what, cfg } of predictParamsCases()) {
      expectCount(`parameters of ${what}`, cfg, paramsFromLibrary(cfg), call("predictParams", () => predict(cfg)));
    }
  }, predict);
}
