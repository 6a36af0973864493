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

const NOTEBOOK = process.env.E2E_NOTEBOOK ?? "notebooks/solutions/01_temporal_sampling.ipynb";
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

describe(`JupyterLab end to end (${NOTEBOOK})`, { timeout: 600_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), "slowfast-e2e-"));
  const token = randomBytes(12).toString("hex");
  let lab: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  let base = "";
  let python = "";
  const plotsExpected = expectedPlots(NOTEBOOK);
  const labLog: string[] = [];

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
  });

  it("opens the notebook, runs all cells: no errors, every exercise passes, every plot drawn", async () => {
    assert.ok(plotsExpected > 0, `${NOTEBOOK} draws no plots: pick a notebook that does (E2E_NOTEBOOK)`);
    const page = await context!.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${base}/lab/tree/${NOTEBOOK}?token=${token}`);
    await page.locator(".jp-NotebookPanel .jp-Cell").first().waitFor({ timeout: 90_000 });
    // The kernel (tslab, from the notebook's metadata) must be connected and idle before we run
    // anything: Run All before that opens a "Select Kernel" dialog instead. The status bar says
    // "TypeScript | Idle" once it is.
    await page.waitForFunction(() => (document.querySelector(".jp-StatusBar-Widget, #jp-main-statusbar")?.textContent ?? "").includes("TypeScript | Idle"), null, { timeout: 120_000 });
    await page.waitForTimeout(1000);
    const dialog = page.locator(".jp-Dialog");
    if (await dialog.count()) throw new Error(`unexpected dialog before running: ${await dialog.first().textContent()}`);
    await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
    await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
    const codeCells = page.locator(".jp-NotebookPanel .jp-CodeCell");
    const total = await codeCells.count();
    // Done when every code cell shows an execution count "[n]:" (not "[ ]:" or "[*]:").
    await page.waitForFunction(
      (n) => {
        const prompts = Array.from(document.querySelectorAll(".jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt")).map((p) => p.textContent ?? "");
        const errored = document.querySelector(".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']");
        return errored !== null || (prompts.length === n && prompts.every((p) => /\[\d+\]/.test(p)));
      },
      total,
      { timeout: 240_000, polling: 500 },
    ).catch(async (err: Error) => {
      // Say where it stuck: each code cell's prompt ("[*]" running, "[ ]" never run).
      const prompts = await page.evaluate(() => Array.from(document.querySelectorAll(".jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt")).map((p) => p.textContent ?? ""));
      const shot = join(tmpdir(), `slowfast-e2e-${process.pid}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      throw new Error(`${err.message}\ncode cell prompts: ${prompts.join(" ")}\nscreenshot: ${shot}\njupyter log tail:\n${labLog.join("").slice(-3000)}`);
    });
    const report = await page.evaluate(() =>
      Array.from(document.querySelectorAll(".jp-NotebookPanel .jp-CodeCell")).map((cell, i) => ({
        cell: i + 1,
        prompt: cell.querySelector(".jp-InputArea-prompt")?.textContent ?? "",
        stderr: Array.from(cell.querySelectorAll(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).map((o) => o.textContent ?? "").join("\n"),
        text: Array.from(cell.querySelectorAll(".jp-OutputArea-output")).map((o) => o.textContent ?? "").join("\n"),
      })),
    );
    const errors = report.filter((c) => c.stderr.trim() !== "");
    assert.deepEqual(errors.map((c) => `code cell ${c.cell}: ${c.stderr.slice(0, 2000)}`), [], "cells wrote errors");
    const notRun = report.filter((c) => !/\[\d+\]/.test(c.prompt));
    assert.deepEqual(notRun.map((c) => `code cell ${c.cell} prompt ${c.prompt}`), [], "cells that did not run");
    assert.equal(report.length, codeCellsInFile(NOTEBOOK), "code cells in the page vs in the file");
    const verdicts = report.flatMap((c) => c.text.match(/\[exercise [\w.]+\] (PASS|FAIL|NOT DONE YET)/g) ?? []);
    assert.ok(verdicts.length > 0 && verdicts.every((v) => v.endsWith("PASS")), `exercise verdicts: ${verdicts.join("; ")}`);
    // Plotly draws asynchronously after the output is attached: give it a moment.
    await page.waitForFunction((n) => document.querySelectorAll(".jp-NotebookPanel .sf-plot.js-plotly-plot svg.main-svg").length >= n, plotsExpected, { timeout: 30_000 }).catch(() => undefined);
    const plots = await plotState(page);
    assert.equal(plots.notLoaded, 0, "some plots say plotly.js is not loaded");
    assert.equal(plots.plots, plotsExpected, `plot divs in the page (expected one per plot call in ${NOTEBOOK})`);
    assert.equal(plots.drawn, plotsExpected, `plots drawn by plotly: ${JSON.stringify(plots)}`);
    assert.deepEqual(pageErrors.filter((e) => /plotly|Plotly/.test(e)), [], "page errors from plotly");
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
