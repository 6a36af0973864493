// Every file a comment or a markdown page cites exists, and every README section one names is a
// heading there (issue 12: comments named a conv3d and a batchnorm test file and a README section
// on choosing the training preset, none of which existed). Scans comments in .ts/.js/.py files and
// whole .md files, tracked or new (not ignored). Globs and placeholders (test/*.test.ts,
// notebooks/NN_name.md, runs/<name>/) are not paths.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const ROOT = join(__dirname, "..");

/** Paths that are named but are not the repository's files, with the reason. */
const NOT_REPOSITORY_FILES: [prefix: string, why: string][] = [
  ["data/", "data sets and weights a user downloads or generates (data/README.md)"],
  ["docs/study/", "written by `npm run study`"],
  ["runs/", "training output"],
  ["dist/", "compiled by `npm run build`"],
  ["notebooks/src", "notebooks/README.md names it as an alternative that was not taken"],
];

/** A repository-relative path (or ../shared/...) not glued to a longer path or word. */
const PATH = /(?<![\w./-])((?:\.\.\/shared\/)?(?:src|test|scripts|notebooks|bench|bin|docs|data|assets)\/[\w./*<>{}-]*[\w/*>}])/g;
const README_SECTION = /README(?:\.md)?(?:'s)? (?:section )?"([^"]+)"/g;

function sources(): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => /\.(ts|js|cjs|py|md)$/.test(f) && !f.startsWith("test/fixtures/") && existsSync(join(ROOT, f)));
}

/** The commented text of each line (all of it in markdown), with its line number. */
function citingText(file: string): { no: number; text: string }[] {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
  return lines.flatMap((line, i) => {
    if (file.endsWith(".md")) return [{ no: i + 1, text: line }];
    const m = /^\s*(?:\/\/|\/?\*|#)(.*)$/.exec(line) ?? /\s\/\/\s(.*)$/.exec(line);
    return m ? [{ no: i + 1, text: m[1] }] : [];
  });
}

test("every file path a comment or a markdown page cites exists", () => {
  const hasShared = existsSync(join(ROOT, "..", "shared"));
  const missing: string[] = [];
  for (const file of sources()) {
    for (const { no, text } of citingText(file)) {
      for (const [, path] of text.matchAll(PATH)) {
        if (/[*<{]|NN/.test(path) || NOT_REPOSITORY_FILES.some(([p]) => path.startsWith(p))) continue;
        if (path.startsWith("../shared/") && !hasShared) continue;
        if (!existsSync(join(ROOT, path))) missing.push(`${file}:${no}: ${path}`);
      }
    }
  }
  assert.deepEqual(missing, [], `cited but absent:\n${missing.join("\n")}`);
});

test("every README section a comment or page names is a heading of README.md", () => {
  const headings = new Set(readFileSync(join(ROOT, "README.md"), "utf8").split("\n").filter((l) => /^#+ /.test(l)).map((l) => l.replace(/^#+ /, "").replace(/`/g, "").trim()));
  const missing: string[] = [];
  for (const file of sources()) {
    for (const { no, text } of citingText(file)) {
      for (const [, section] of text.matchAll(README_SECTION)) if (!headings.has(section.replace(/`/g, ""))) missing.push(`${file}:${no}: README "${section}"`);
    }
  }
  assert.deepEqual(missing, [], `named but not a README heading:\n${missing.join("\n")}`);
});
