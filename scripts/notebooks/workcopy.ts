// The learner's working copy of the notebooks: `npm run lab` opens work/ (gitignored), never the
// committed notebooks/, so running and saving a notebook never dirties the repository (and
// `npm run notebooks:check` stays green in a learner's clone).
//
//   notebooks/NN_name.ipynb            -> work/NN_name.ipynb
//   notebooks/solutions/NN_name.ipynb  -> work/solutions/NN_name.ipynb
//
// Same depth as notebooks/, so the notebooks' imports ("../dist/...", "../../dist/...") resolve
// unchanged. A learner's copy is never overwritten. work/.copies.json records, per copy, the
// committed notebook it was made from and a hash of its cells' text; when the committed notebook
// changes (a `git pull`), a copy whose cells the learner has not edited (only run: outputs differ)
// is replaced by the new version, and an edited one is kept with one line saying so.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "..", "..");
export const NOTEBOOKS = join(ROOT, "notebooks");
export const WORK = join(ROOT, "work");
const MANIFEST = ".copies.json";

interface Copy {
  /** sha256 of the committed notebook's file when it was copied. */
  from: string;
  /** sha256 of the copied cells' types and text (not outputs, not metadata). */
  cells: string;
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** A notebook's cells as text: what a learner edits (running a cell changes only its outputs). */
export function cellsHash(notebookJson: string): string {
  const nb = JSON.parse(notebookJson) as { cells: { cell_type: string; source: string | string[] }[] };
  return sha(JSON.stringify(nb.cells.map((c) => [c.cell_type, Array.isArray(c.source) ? c.source.join("") : c.source])));
}

/** The notebooks under `dir` and `dir`/solutions, as paths relative to `dir`. */
function notebookPaths(dir: string): string[] {
  const list = (sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(sub, f)) : []);
  return [...list("."), ...list("solutions")].map((p) => p.replace(/^\.\//, ""));
}

/**
 * Brings `to` up to date with `from` (see the top of this file) and returns what it did: one line for
 * the copies made, one per copy replaced or kept despite a newer committed version. Files in `to`
 * that it did not make are left alone.
 */
export function syncWorkCopy(from = NOTEBOOKS, to = WORK): string[] {
  const manifestPath = join(to, MANIFEST);
  const manifest: Record<string, Copy> = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, "utf8")) : {};
  const lines: string[] = [];
  let copied = 0;
  const show = (p: string) => relative(process.cwd(), p) || p;
  for (const rel of notebookPaths(from)) {
    const source = readFileSync(join(from, rel), "utf8");
    const target = join(to, rel);
    const record = (): void => {
      mkdirSync(join(target, ".."), { recursive: true });
      writeFileSync(target, source);
      manifest[rel] = { from: sha(source), cells: cellsHash(source) };
    };
    const known = manifest[rel];
    if (!existsSync(target)) {
      record();
      copied++;
    } else if (known && known.from !== sha(source)) {
      if (cellsHash(readFileSync(target, "utf8")) === known.cells) {
        record();
        lines.push(`${show(target)}: replaced by the new ${show(join(from, rel))} (you had not edited its cells)`);
      } else {
        lines.push(`${show(target)}: kept (you edited it); ${show(join(from, rel))} has changed since it was copied: delete your copy to get the new one`);
      }
    }
  }
  if (copied > 0) lines.unshift(`${show(to)}/: ${copied} notebook${copied > 1 ? "s" : ""} copied from ${show(from)}/ (your working copy: run and edit them there)`);
  mkdirSync(to, { recursive: true });
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 1) + "\n");
  return lines;
}

if (require.main === module) {
  for (const line of syncWorkCopy()) console.log(line);
}
