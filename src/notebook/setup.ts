// The first cells of every notebook: which backend runs, and whether dist/ (what notebooks import)
// is older than src/ (what a learner edits).
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describeBackend } from "../backend";

/** The repository root: this file runs as dist/notebook/setup.js. */
export const REPO_ROOT = join(__dirname, "..", "..");

/**
 * src/ files saved after dist/ was last built (empty when dist/ is up to date). "Built" is the later
 * of the compiled file's time and dist/.build-stamp, which every successful build writes (tsc does
 * not rewrite the output of a file saved unchanged).
 */
export function staleDistFiles(root = REPO_ROOT): string[] {
  const stale: string[] = [];
  const stampPath = join(root, "dist", ".build-stamp");
  const stamp = existsSync(stampPath) ? statSync(stampPath).mtimeMs : 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".js")) {
        const src = join(root, "src", relative(join(root, "dist"), path)).replace(/\.js$/, ".ts");
        if (existsSync(src) && statSync(src).mtimeMs > Math.max(stamp, statSync(path).mtimeMs)) stale.push(relative(root, src));
      }
    }
  };
  if (existsSync(join(root, "dist"))) walk(join(root, "dist"));
  return stale;
}

/**
 * Prints the backend line. (Whether dist/ lags src/ is said by the cell before it, which imports
 * scripts/notebooks/dist_ready.js: that check must run before anything from dist/ is compiled.)
 */
export function kitSetup(): void {
  console.log(describeBackend());
}

/** True when the notebook runner asks for the short version of slow cells (SLOWFAST_NOTEBOOK_SHORT=1). */
export function shortMode(): boolean {
  return process.env.SLOWFAST_NOTEBOOK_SHORT === "1";
}
