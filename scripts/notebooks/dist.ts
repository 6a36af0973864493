// Compiles what the notebooks import (src/backend.ts, src/model/, src/notebook/, src/data/pipeline.ts;
// see ./tsconfig.json) to dist/, and stamps dist/.build-stamp after every successful compile.
// The stamp is what kitSetup() compares src/ against: tsc does not rewrite outputs for a file saved
// unchanged, so the outputs' own times cannot tell "built after the last save" apart.
//
//   node --import tsx scripts/notebooks/dist.ts          build once (npm run build)
//   node --import tsx scripts/notebooks/dist.ts --watch  rebuild on every save (npm run lab runs this)
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const PROJECT = join(ROOT, "scripts", "notebooks", "tsconfig.json");
export const STAMP = join(ROOT, "dist", ".build-stamp");

function stamp(): void {
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/** One build; exits the process with tsc's status when it fails. */
export function buildDist(): void {
  const r = spawnSync(process.execPath, [TSC, "-p", PROJECT], { stdio: "inherit" });
  if (r.status !== 0) {
    console.error("building dist/ for the notebooks failed (see the errors above)");
    process.exit(r.status ?? 1);
  }
  stamp();
}

/** tsc --watch, stamping after each compile that ends without errors. */
export function watchDist(): ChildProcess {
  const child = spawn(process.execPath, [TSC, "-p", PROJECT, "--watch", "--preserveWatchOutput"], { stdio: ["ignore", "pipe", "inherit"] });
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = String(chunk);
    process.stdout.write(text);
    if (/Found 0 errors\. Watching for file changes/.test(text)) stamp();
  });
  return child;
}

if (require.main === module) {
  if (process.argv.includes("--watch")) watchDist();
  else buildDist();
}
