// Compiles what the notebooks import (src/backend.ts, src/model/, src/notebook/, src/data/pipeline.ts;
// see ./tsconfig.json) to dist/, and stamps dist/.build-stamp after every successful compile.
// The stamp is what the notebooks' dist/ check (scripts/notebooks/dist_ready.js, staleDistFiles in
// src/notebook/setup.ts) compares src/ against: tsc does not rewrite outputs for a file saved
// unchanged, so the outputs' own times cannot tell "built after the last save" apart.
//
//   node --import tsx scripts/notebooks/dist.ts          build once (npm run build)
//   node --import tsx scripts/notebooks/dist.ts --watch  rebuild on every save (npm run lab runs this)
//   node --import tsx scripts/notebooks/dist.ts --postinstall
//       npm install's build, so that a JupyterLab started any other way finds dist/: like
//       scripts/install-native.js it never fails the install, it says in one line what to run.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
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

/** npm install's build: tsc's errors and one line on failure, but exit status 0. */
function postinstallBuild(): void {
  if (!existsSync(TSC)) {
    console.log("[dist] dist/ not built: typescript is not installed (npm install without dev dependencies?); run `npm install`, then `npm run build`");
    return;
  }
  const r = spawnSync(process.execPath, [TSC, "-p", PROJECT], { stdio: "inherit" });
  if (r.status === 0) {
    stamp();
    console.log("[dist] built dist/ (what the notebooks import)");
  } else {
    console.log("[dist] building dist/ failed (errors above): the notebooks will say so; fix and run `npm run build`");
  }
}

if (require.main === module) {
  if (process.argv.includes("--watch")) watchDist();
  else if (process.argv.includes("--postinstall")) postinstallBuild();
  else buildDist();
}
