// End to end, as a learner: start JupyterLab, open a solved notebook in headless Chromium, Run All,
// and check that every code cell ran, none wrote an error, every exercise passed and every plot was
// drawn by plotly. Then the same notebook exported to HTML (executed by the runner, converted by
// nbconvert) is opened with the network blocked, and its plots must draw too (offline plotly).
//
// Needs: JupyterLab (+ nbconvert) in a python found by scripts/notebooks/jupyter.ts, Debian's
// chromium at /usr/bin/chromium (or $CHROMIUM), dist/ built (`npm run test:e2e` builds it).
// JupyterLab runs with a throw-away settings dir that turns autosave off, so the committed
// notebook is never written.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { findPython, kernelEnv, ROOT } from "../../scripts/notebooks/jupyter";
import { syncWorkCopy } from "../../scripts/notebooks/workcopy";

const NOTEBOOK = process.env.E2E_NOTEBOOK ?? "notebooks/solutions/01_temporal_sampling.ipynb";
/** The learner notebook (of notebooks/) whose exercise 1.1 the learner test answers, in a working copy. */
const LEARNER = "01_temporal_sampling.ipynb";
/** The working copy's folder: one level below the root, as work/ is, so "../dist" resolves (gitignored). */
const learnerDir = `e2e-work-${process.pid}`;
const token = randomBytes(12).toString("hex");
let base = "";
const labLog: string[] = [];
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

/** Plots the notebook draws: one per call of a plot helper in its code cells. */
function expectedPlots(path: string): number {
  const nb = JSON.parse(readFileSync(join(ROOT, path), "utf8")) as { cells: { cell_type: string; source: string[] }[] };
  const code = nb.cells.filter((c) => c.cell_type === "code").map((c) => c.source.join("")).join("\n");
  return (code.match(/\b(lineChart|imageGrid|heatmap|heatmapGrid)\(/g) ?? []).length;
}

function codeCellsInFile(path: string): number {
  const nb = JSON.parse(readFileSync(join(ROOT, path), "utf8")) as { cells: { cell_type: string }[] };
  return nb.cells.filter((c) => c.cell_type === "code").length;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitForServer(url: string, lab: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (lab.exitCode !== null) throw new Error(`jupyter lab exited with ${lab.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`jupyter lab did not answer ${url} within ${timeoutMs / 1000} s`);
}

interface PlotState {
  plots: number;
  drawn: number;
  notLoaded: number;
}

/** Counts plot divs, those plotly drew (an svg.main-svg with a size), and "not loaded" messages. */
function plotState(page: Page): Promise<PlotState> {
  return page.evaluate(() => {
    const plots = Array.from(document.querySelectorAll(".sf-plot"));
    const drawn = plots.filter((p) => {
      const svg = p.querySelector("svg.main-svg");
      return p.classList.contains("js-plotly-plot") && svg !== null && svg.getBoundingClientRect().width > 0;
    });
    const notLoaded = plots.filter((p) => (p.textContent ?? "").includes("plotly.js is not loaded"));
    return { plots: plots.length, drawn: drawn.length, notLoaded: notLoaded.length };
  });
}

/**
 * The notebook on screen. JupyterLab restores the tabs of earlier pages (its workspace), and a
 * hidden tab's cells stay in the DOM, so every selector starts here.
 */
const PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)";

interface CellReport {
  /** 1-based among the code cells. */
  cell: number;
  prompt: string;
  source: string;
  stderr: string;
  text: string;
}

/** Every code cell of the open notebook: prompt ("[3]:", "[*]:", "[ ]:"), source, outputs. */
function cellReports(page: Page): Promise<CellReport[]> {
  return page.evaluate((panel) =>
    Array.from(document.querySelectorAll(`${panel} .jp-CodeCell`)).map((cell, i) => ({
      cell: i + 1,
      prompt: cell.querySelector(".jp-InputArea-prompt")?.textContent ?? "",
      source: Array.from(cell.querySelectorAll(".cm-content .cm-line")).map((l) => l.textContent ?? "").join("\n"),
      stderr: Array.from(cell.querySelectorAll(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).map((o) => o.textContent ?? "").join("\n"),
      text: Array.from(cell.querySelectorAll(".jp-OutputArea-output")).map((o) => o.textContent ?? "").join("\n"),
    })),
    PANEL,
  );
}

/** Opens a notebook (a path under the server's root) and waits for its kernel to be idle. */
async function openNotebook(page: Page, path: string): Promise<void> {
  await page.goto(`${base}/lab/tree/${path}?token=${token}`);
  await page.locator(`${PANEL} .jp-Cell`).first().waitFor({ timeout: 90_000 });
  // The kernel (tslab, from the notebook's metadata) must be connected and idle before we run
  // anything: Run All before that opens a "Select Kernel" dialog instead. The status bar says
  // "TypeScript | Idle" once it is.
  await page.waitForFunction(() => (document.querySelector(".jp-StatusBar-Widget, #jp-main-statusbar")?.textContent ?? "").includes("TypeScript | Idle"), null, { timeout: 120_000 });
  await page.waitForTimeout(1000);
  const dialog = page.locator(".jp-Dialog");
  if (await dialog.count()) throw new Error(`unexpected dialog before running: ${await dialog.first().textContent()}`);
}

/** Run -> Run All Cells; waits until every code cell has an execution count (or one wrote an error). */
async function runAll(page: Page): Promise<CellReport[]> {
  await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
  await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
  const total = await page.locator(`${PANEL} .jp-CodeCell`).count();
  await page.waitForFunction(
    ([n, panel]) => {
      const prompts = Array.from(document.querySelectorAll(`${panel} .jp-CodeCell .jp-InputArea-prompt`)).map((p) => p.textContent ?? "");
      const errored = document.querySelector(`${panel} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']`);
      return errored !== null || (prompts.length === n && prompts.every((p) => /\[\d+\]/.test(p)));
    },
    [total, PANEL] as const,
    { timeout: 240_000, polling: 500 },
  ).catch(async (err: Error) => {
    // Say where it stuck: each code cell's prompt ("[*]" running, "[ ]" never run).
    const prompts = (await cellReports(page)).map((c) => c.prompt);
    const shot = join(tmpdir(), `slowfast-e2e-${process.pid}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    throw new Error(`${err.message}\ncode cell prompts: ${prompts.join(" ")}\nscreenshot: ${shot}\njupyter log tail:\n${labLog.join("").slice(-3000)}`);
  });
  return cellReports(page);
}

/** Replaces the text of code cell `index` (0-based) as typed, without the editor's auto-closing. */
async function setCellText(page: Page, index: number, text: string): Promise<void> {
  const editor = page.locator(`${PANEL} .jp-CodeCell`).nth(index).locator(".cm-content");
  await editor.click();
  await page.keyboard.press("Control+a");
  await page.keyboard.insertText(text);
  const typed = (await cellReports(page))[index].source;
  assert.equal(typed, text, `code cell ${index + 1} after typing`);
}

/** Runs code cell `index` (0-based) in place (Ctrl+Enter) and waits for its new execution count. */
async function runCell(page: Page, index: number): Promise<CellReport> {
  const before = (await cellReports(page))[index].prompt;
  await page.locator(`${PANEL} .jp-CodeCell`).nth(index).locator(".cm-content").click();
  await page.keyboard.press("Control+Enter");
  await page.waitForFunction(
    ([i, old, panel]) => {
      const p = document.querySelectorAll(`${panel} .jp-CodeCell .jp-InputArea-prompt`)[i as number]?.textContent ?? "";
      return /\[\d+\]/.test(p) && p !== old;
    },
    [index, before, PANEL] as const,
    { timeout: 120_000, polling: 250 },
  );
  // tslab sends a compile error's text just after its reply: give it a moment to arrive.
  await page.waitForTimeout(700);
  return (await cellReports(page))[index];
}

describe(`JupyterLab end to end (${NOTEBOOK})`, { timeout: 600_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), "slowfast-e2e-"));
  let lab: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  let python = "";
  const plotsExpected = expectedPlots(NOTEBOOK);

  before(async () => {
    assert.ok(existsSync(join(ROOT, "dist", "notebook", "index.js")), "dist/ is not built: run `npm run build` (npm run test:e2e does)");
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
    python = findPython(["jupyterlab", "nbconvert", "jupyter_client"]);
    const env = kernelEnv(python);
    // Autosave off, fresh workspace: the committed notebook is never written. Windowing off: every
    // cell stays in the DOM, so all of them can be inspected.
    const setting = (plugin: string, file: string, value: object) => {
      mkdirSync(join(work, "settings", "@jupyterlab", plugin), { recursive: true });
      writeFileSync(join(work, "settings", "@jupyterlab", plugin, `${file}.jupyterlab-settings`), JSON.stringify(value));
    };
    setting("docmanager-extension", "plugin", { autosave: false });
    setting("notebook-extension", "tracker", { windowingMode: "none" });
    setting("apputils-extension", "notification", { fetchNews: "false", checkForUpdates: false });
    mkdirSync(join(work, "workspaces"));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const args = ["-m", "jupyter", "lab", "--no-browser", `--port=${port}`, "--ip=127.0.0.1", `--IdentityProvider.token=${token}`, `--ServerApp.root_dir=${ROOT}`];
    if (process.getuid?.() === 0) args.push("--allow-root");
    lab = spawn(python, args, {
      env: { ...env, JUPYTERLAB_SETTINGS_DIR: join(work, "settings"), JUPYTERLAB_WORKSPACES_DIR: join(work, "workspaces") },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    lab.stdout?.on("data", (d) => labLog.push(String(d)));
    lab.stderr?.on("data", (d) => labLog.push(String(d)));
    await waitForServer(`${base}/api/status?token=${token}`, lab, 90_000);
    context = await chromium.launchPersistentContext(join(work, "profile"), { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1400, height: 1000 } });
  });

  after(async () => {
    await context?.close();
    if (lab?.pid && lab.exitCode === null) {
      try {
        process.kill(-lab.pid, "SIGTERM");
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    rmSync(work, { recursive: true, force: true });
    rmSync(join(ROOT, learnerDir), { recursive: true, force: true });
  });

  it("opens the notebook, runs all cells: no errors, every exercise passes, every plot drawn", async () => {
    assert.ok(plotsExpected > 0, `${NOTEBOOK} draws no plots: pick a notebook that does (E2E_NOTEBOOK)`);
    const page = await context!.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await openNotebook(page, NOTEBOOK);
    const report = await runAll(page);
    const errors = report.filter((c) => c.stderr.trim() !== "");
    assert.deepEqual(errors.map((c) => `code cell ${c.cell}: ${c.stderr.slice(0, 2000)}`), [], "cells wrote errors");
    const notRun = report.filter((c) => !/\[\d+\]/.test(c.prompt));
    assert.deepEqual(notRun.map((c) => `code cell ${c.cell} prompt ${c.prompt}`), [], "cells that did not run");
    assert.equal(report.length, codeCellsInFile(NOTEBOOK), "code cells in the page vs in the file");
    const verdicts = report.flatMap((c) => c.text.match(/\[exercise [\w.]+\] (PASS|FAIL|NOT DONE YET)/g) ?? []);
    assert.ok(verdicts.length > 0 && verdicts.every((v) => v.endsWith("PASS")), `exercise verdicts: ${verdicts.join("; ")}`);
    // Plotly draws asynchronously after the output is attached: give it a moment.
    await page.waitForFunction(([n, panel]) => document.querySelectorAll(`${panel} .sf-plot.js-plotly-plot svg.main-svg`).length >= n, [plotsExpected, PANEL] as const, { timeout: 30_000 }).catch(() => undefined);
    const plots = await plotState(page);
    assert.equal(plots.notLoaded, 0, "some plots say plotly.js is not loaded");
    assert.equal(plots.plots, plotsExpected, `plot divs in the page (expected one per plot call in ${NOTEBOOK})`);
    assert.equal(plots.drawn, plotsExpected, `plots drawn by plotly: ${JSON.stringify(plots)}`);
    assert.deepEqual(pageErrors.filter((e) => /plotly|Plotly/.test(e)), [], "page errors from plotly");
    await page.close();
  });

  it("a learner's working copy: a wrong answer FAILs with its reason, a cell that does not compile is named, a right one PASSes; cells re-run after Run All", async () => {
    // The working copy as `npm run lab` makes it (scripts/notebooks/workcopy.ts), in a throw-away
    // folder at the same depth as work/: the committed notebook is never opened.
    syncWorkCopy(join(ROOT, "notebooks"), join(ROOT, learnerDir));
    const path = `${learnerDir}/${LEARNER}`;
    const page = await context!.newPage();
    await openNotebook(page, path);
    const report = await runAll(page);
    assert.deepEqual(report.filter((c) => c.stderr.trim() !== "").map((c) => `code cell ${c.cell}: ${c.stderr.slice(0, 2000)}`), [], "Run All of the learner notebook wrote errors");
    assert.match(report.map((c) => c.text).join("\n"), /\[exercise 1\.1\] NOT DONE YET/);

    const exercise = report.findIndex((c) => c.source.includes('return todo("1.1")'));
    assert.ok(exercise >= 0, `no code cell of ${LEARNER} holds the stub of exercise 1.1`);
    const checkCell = exercise + 1;
    const answer = (body: string) => `function slowIndices(frames: number, tau: number): number[] {\n  ${body}\n}`;

    // Wrong: the fast pathway's stride.
    await setCellText(page, exercise, answer("return Array.from({ length: Math.floor(frames / tau) }, (_, i) => i);"));
    assert.equal((await runCell(page, exercise)).stderr, "");
    const wrong = await runCell(page, checkCell);
    assert.match(wrong.text, /\[exercise 1\.1\] FAIL: .*slowIndices\(32, 8\): expected \[0, 8, 16, 24\], got \[0, 1, 2, 3\]/);
    assert.doesNotMatch(wrong.text, /note:/);

    // An edit that does not compile: tslab keeps the old function, and the check says so.
    await setCellText(page, exercise, answer("return Array.from({ length: Math.floor(frames / tau) }, (_, i) => i * tau;"));
    assert.match((await runCell(page, exercise)).stderr, /expected/);
    const stale = await runCell(page, checkCell);
    assert.match(stale.text, /\[exercise 1\.1\] FAIL/);
    assert.match(stale.text, /\[exercise 1\.1\] note: slowIndices is the same as at your last check of 1\.1\. If you changed its cell since, that cell did not compile/);

    // Right.
    await setCellText(page, exercise, answer("return Array.from({ length: Math.floor(frames / tau) }, (_, i) => Math.floor(i * tau));"));
    assert.equal((await runCell(page, exercise)).stderr, "");
    const right = await runCell(page, checkCell);
    assert.match(right.text, /^\[exercise 1\.1\] PASS: slow pathway frame indices/);
    assert.doesNotMatch(right.text, /note:/);

    // Re-run, after Run All, the last code cell and the last two plot cells (they read tensors that
    // earlier cells made): no error.
    const plotCells = report.filter((c) => /\b(lineChart|imageGrid|heatmap|heatmapGrid|barChart)\(/.test(c.source)).map((c) => c.cell - 1);
    const again = [...new Set([...plotCells.slice(-2), report.length - 1])];
    assert.equal(again.length, 3, `cells to re-run: ${again.join(", ")}`);
    for (const i of again) {
      const r = await runCell(page, i);
      assert.equal(r.stderr, "", `code cell ${i + 1}, re-run after Run All:\n${r.source}`);
    }
    await page.close();
  });

  it("the HTML export of the executed notebook draws the same plots with the network blocked", async () => {
    const executed = join(work, "executed");
    const env = kernelEnv(python);
    const run = spawnSync(python, [join(ROOT, "scripts", "notebooks", "run.py"), "--short", "--save", executed, join(ROOT, NOTEBOOK)], { env, encoding: "utf8" });
    assert.equal(run.status, 0, `runner failed:\n${run.stdout}\n${run.stderr}`);
    const saved = join(executed, `solutions_${NOTEBOOK.split("/").pop()}`);
    const convert = spawnSync(python, ["-m", "jupyter", "nbconvert", "--to", "html", "--output-dir", executed, saved], { env, encoding: "utf8" });
    assert.equal(convert.status, 0, `nbconvert failed:\n${convert.stderr}`);
    const html = saved.replace(/\.ipynb$/, ".html");
    const page = await context!.newPage();
    const remote: string[] = [];
    await page.route("**/*", (route) => {
      if (route.request().url().startsWith("file:")) return route.continue();
      remote.push(route.request().url());
      return route.abort();
    });
    await page.goto(`file://${html}`);
    await page.waitForFunction((n) => document.querySelectorAll(".sf-plot.js-plotly-plot svg.main-svg").length >= n, plotsExpected, { timeout: 60_000 }).catch(() => undefined);
    const plots = await plotState(page);
    assert.equal(plots.notLoaded, 0, "plotly.js did not load in the export");
    assert.equal(plots.drawn, plotsExpected, `plots drawn in the HTML export: ${JSON.stringify(plots)} (blocked requests: ${remote.join(", ") || "none"})`);
    await page.close();
  });
});
