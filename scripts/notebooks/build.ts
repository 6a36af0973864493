// Builds the notebooks from their sources, or checks that the committed ones match (--check).
//
//   notebooks/source/NN_name.md  ->  notebooks/NN_name.ipynb            (learner: stubs)
//                                    notebooks/solutions/NN_name.ipynb  (solved: solutions)
//
// Source format (see notebooks/README.md, "Writing a notebook"):
//   - Markdown text becomes markdown cells; a line `+++` starts a new markdown cell.
//   - A fenced block ```ts [tags...] becomes a code cell; words after `ts` are cell tags
//     (`exercise`: the learner writes here; `check`: the checker cell that follows it).
//   - Inside an exercise cell:   // BEGIN SOLUTION ... // STUB ... // END SOLUTION
//     The solved notebook keeps the lines before // STUB, the learner notebook the lines after it.
//   - Imports are written relative to notebooks/ ("../dist/model"); the solved copies, one folder
//     deeper, get "../../dist/model".
// Every generated notebook gets one code cell before its first: the dist/ check
// (scripts/notebooks/dist_ready.js), which must run before any cell that imports dist/ is compiled.
// Generated notebooks carry no outputs and deterministic cell ids, so `--check` is a plain
// comparison: it fails when a notebook was edited, run and saved, or not rebuilt after its source.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";

const ROOT = join(__dirname, "..", "..");
export const NOTEBOOKS = join(ROOT, "notebooks");
export const SOURCES = join(NOTEBOOKS, "source");
export const SOLUTIONS = join(NOTEBOOKS, "solutions");

export interface SourceCell {
  kind: "markdown" | "code";
  text: string;
  tags: string[];
  /** 1-based line in the source file where the cell starts. */
  line: number;
}

export class SourceError extends Error {}

/** Splits a source file into cells. */
export function parseSource(text: string, file: string): SourceCell[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const cells: SourceCell[] = [];
  let md: string[] = [];
  let mdStart = 1;
  const flushMarkdown = () => {
    const body = md.join("\n").trim();
    if (body) cells.push({ kind: "markdown", text: body, tags: [], line: mdStart });
    md = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```ts(?:\s+(.*))?\s*$/.exec(lines[i]);
    if (fence) {
      flushMarkdown();
      const start = i + 1;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) body.push(lines[i]);
      if (i >= lines.length) throw new SourceError(`${file}:${start}: code cell is not closed with \`\`\``);
      const tags = (fence[1] ?? "").split(/\s+/).filter(Boolean);
      cells.push({ kind: "code", text: body.join("\n").replace(/\s+$/, ""), tags, line: start });
      mdStart = i + 2;
    } else if (/^```/.test(lines[i])) {
      throw new SourceError(`${file}:${i + 1}: only \`\`\`ts code cells are allowed (found ${lines[i]})`);
    } else if (lines[i].trim() === "+++") {
      flushMarkdown();
      mdStart = i + 2;
    } else {
      if (md.length === 0) mdStart = i + 1;
      md.push(lines[i]);
    }
  }
  flushMarkdown();
  return cells;
}

const MARKER = /^\s*\/\/\s*(BEGIN SOLUTION|STUB|END SOLUTION)\s*$/;

/** The solved or the learner text of one code cell. */
export function renderCode(cell: SourceCell, version: "learner" | "solved", file: string): string {
  const out: string[] = [];
  let state: "plain" | "solution" | "stub" = "plain";
  let sawStub = false;
  let stubText = "";
  cell.text.split("\n").forEach((line, k) => {
    const m = MARKER.exec(line);
    const where = `${file}:${cell.line + 1 + k}`;
    if (!m) {
      if (state === "plain" || (state === "solution" && version === "solved") || (state === "stub" && version === "learner")) out.push(line);
      if (state === "stub") stubText += line;
      return;
    }
    const marker = m[1];
    if (marker === "BEGIN SOLUTION") {
      if (state !== "plain") throw new SourceError(`${where}: BEGIN SOLUTION inside another solution block`);
      state = "solution";
      sawStub = false;
      stubText = "";
    } else if (marker === "STUB") {
      if (state !== "solution") throw new SourceError(`${where}: STUB outside a BEGIN SOLUTION block`);
      state = "stub";
      sawStub = true;
    } else {
      if (state === "plain") throw new SourceError(`${where}: END SOLUTION without BEGIN SOLUTION`);
      if (!sawStub) throw new SourceError(`${where}: solution block has no // STUB section (the learner's starting code)`);
      if (!/\btodo\(/.test(stubText)) throw new SourceError(`${where}: the stub must call todo("<exercise id>") so the checker reports "not done yet"`);
      state = "plain";
    }
  });
  if (state !== "plain") throw new SourceError(`${file}:${cell.line}: solution block is not closed with // END SOLUTION`);
  let text = out.join("\n");
  if (version === "solved") text = text.replace(/(["'])\.\.\/dist\//g, "$1../../dist/");
  return text;
}

/** Structural rules every source follows (see notebooks/README.md). */
export function validate(cells: SourceCell[], file: string): void {
  const code = cells.filter((c) => c.kind === "code");
  code.forEach((c, i) => {
    const hasSolution = c.text.split("\n").some((l) => /BEGIN SOLUTION/.test(l));
    if (c.tags.includes("exercise") !== hasSolution) {
      throw new SourceError(`${file}:${c.line}: ${hasSolution ? "a cell with a solution block must be tagged exercise (```ts exercise)" : "an exercise cell needs a // BEGIN SOLUTION block"}`);
    }
    if (c.tags.includes("exercise") && !code[i + 1]?.tags.includes("check")) {
      throw new SourceError(`${file}:${c.line}: the code cell after an exercise must be its checker, tagged check (\`\`\`ts check)`);
    }
  });
  if (!code[0] || !/kitSetup\(\)/.test(code[0].text)) throw new SourceError(`${file}: the first code cell must call kitSetup() (it prints the backend line)`);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** nbformat's own serialisation: keys sorted, indent 1, trailing newline. */
function serialise(value: Json): string {
  const sort = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
    return v;
  };
  return JSON.stringify(sort(value), null, 1) + "\n";
}

/** The code of the cell the builder puts before a notebook's first code cell (see the top of this file). */
export function distReadyCode(version: "learner" | "solved"): string {
  const up = version === "solved" ? "../../" : "../";
  return [
    "// Checks dist/, the library compiled from src/ that the cells below import: stops here, naming the command to run, when it is missing.",
    `import "${up}scripts/notebooks/dist_ready";`,
  ].join("\n");
}

/** "a\nb" -> ["a\n", "b"], as nbformat stores multi-line strings. */
const sourceLines = (text: string): string[] => text.split(/(?<=\n)/).filter((l) => l !== "");

export function buildNotebook(cells: SourceCell[], version: "learner" | "solved", file: string): string {
  const stem = basename(file, ".md");
  const nbCells: Json[] = cells.map((c, i): Json => {
    const id = `c${String(i).padStart(3, "0")}`;
    const metadata: { [k: string]: Json } = { source_line: c.line };
    if (c.tags.length) metadata.tags = c.tags;
    if (c.kind === "markdown") return { cell_type: "markdown", id, metadata, source: sourceLines(c.text) };
    return { cell_type: "code", execution_count: null, id, metadata, outputs: [], source: sourceLines(renderCode(c, version, file)) };
  });
  const firstCode = cells.findIndex((c) => c.kind === "code");
  nbCells.splice(firstCode, 0, { cell_type: "code", execution_count: null, id: "dist-ready", metadata: {}, outputs: [], source: sourceLines(distReadyCode(version)) });
  if (version === "solved") {
    nbCells.unshift({
      cell_type: "markdown",
      id: "solved",
      metadata: {},
      source: sourceLines(`**Solved version.** Generated from \`notebooks/source/${stem}.md\` by \`npm run notebooks:build\`; do not edit. The learner version is [../${stem}.ipynb](../${stem}.ipynb).`),
    });
  }
  return serialise({
    cells: nbCells,
    metadata: {
      kernelspec: { display_name: "TypeScript", language: "typescript", name: "tslab" },
      language_info: { codemirror_mode: { mode: "typescript", name: "javascript", typescript: true }, file_extension: ".ts", mimetype: "text/typescript", name: "typescript", version: "5" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

/** Every generated file: path -> contents. */
export function generateAll(): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(SOURCES).filter((f) => f.endsWith(".md")).sort()) {
    const file = relative(ROOT, join(SOURCES, name));
    const cells = parseSource(readFileSync(join(SOURCES, name), "utf8"), file);
    validate(cells, file);
    const nb = name.replace(/\.md$/, ".ipynb");
    out.set(join(NOTEBOOKS, nb), buildNotebook(cells, "learner", file));
    out.set(join(SOLUTIONS, nb), buildNotebook(cells, "solved", file));
  }
  return out;
}

/** Differences between the generated notebooks and the files on disk (empty when in sync). */
export function drift(generated: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, text] of generated) {
    const rel = relative(ROOT, path);
    if (!existsSync(path)) problems.push(`${rel} is missing`);
    else {
      const disk = readFileSync(path, "utf8");
      if (disk !== text) {
        const hasOutputs = /"outputs": \[\n/.test(disk) || /"execution_count": \d/.test(disk);
        problems.push(`${rel} differs from its source${hasOutputs ? " (it has outputs: notebooks are committed without outputs)" : ""}`);
      }
    }
  }
  for (const dir of [NOTEBOOKS, SOLUTIONS]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".ipynb"))) {
      if (!generated.has(join(dir, f))) problems.push(`${relative(ROOT, join(dir, f))} has no source notebooks/source/${f.replace(/\.ipynb$/, ".md")}`);
    }
  }
  return problems;
}

function main(): void {
  const check = process.argv.includes("--check");
  let generated: Map<string, string>;
  try {
    generated = generateAll();
  } catch (err) {
    if (err instanceof SourceError) {
      console.error(`notebooks: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  if (check) {
    const problems = drift(generated);
    if (problems.length) {
      console.error(`notebooks out of sync with notebooks/source/ (run \`npm run notebooks:build\`):\n  ${problems.join("\n  ")}`);
      process.exit(1);
    }
    console.log(`notebooks: ${generated.size} notebooks match their sources`);
    return;
  }
  mkdirSync(SOLUTIONS, { recursive: true });
  for (const [path, text] of generated) writeFileSync(path, text);
  console.log(`notebooks: wrote ${[...generated.keys()].map((p) => relative(ROOT, p)).join(", ")}`);
}

if (require.main === module) main();
