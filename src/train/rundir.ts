// The folder a training run writes to (--out), made ready before anything slow happens: created
// (or its problem said in one line), locked against a second run, cleared of the temporary files
// that killed writes left, and checked against what the caller asked for (resume a run that is not
// there; start a new one where one is).
//
//   <out>/.lock                 {"pid", "host", "started"} while a run holds the folder
//   <out>/last.ckpt best.ckpt metrics.jsonl eval.json report.html      the run's files (RUN_FILES)
//
// The lock is made complete and then hard-linked into place, so it is never seen half-written. A
// lock whose process is gone (killed) is stale and taken over.
import { existsSync, unlinkSync } from "node:fs";
import { link, mkdir, readFile, rm, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { removeTempFiles } from "./atomic";
import { readCheckpointMeta } from "./checkpoint";
import { fileError } from "./fserror";

export const RUN_FILES = ["last.ckpt", "best.ckpt", "metrics.jsonl", "eval.json", "report.html"] as const;

export interface RunDirOptions {
  /** Continue the run in the folder: its last.ckpt must exist. */
  resume: boolean;
  /**
   * When the folder already holds a run and `resume` is off: "replace" its files (the library's
   * default, what a re-run notebook wants) or "refuse" (the CLI's default; --overwrite replaces).
   */
  existing?: "replace" | "refuse";
  log?: (line: string) => void;
}

export interface RunDir {
  dir: string;
  last: string;
  best: string;
  metrics: string;
  /** Removes the lock (also done at process exit; a killed run's lock is taken over as stale). */
  release(): void;
}

export async function openRunDir(dir: string, o: RunDirOptions): Promise<RunDir> {
  await makeFolder(dir);
  const release = await lock(dir);
  try {
    const removed = await removeTempFiles(dir);
    if (removed.length > 0) o.log?.(`${dir}: removed ${removed.length} temporary file(s) left by an interrupted write`);
    const last = join(dir, "last.ckpt");
    const hasRun = existsSync(last);
    if (o.resume && !hasRun) throw new Error(`--resume: ${dir} holds no last.ckpt to resume from; check --out, or drop --resume to start a new run`);
    if (!o.resume) {
      if (hasRun && o.existing === "refuse") {
        throw new Error(`${dir} already holds a training run (${await describeRun(last)}); add --resume to continue it, --overwrite to replace it, or choose another --out`);
      }
      // A new run starts clean: no best.ckpt or metrics of an earlier run may survive into it.
      for (const f of RUN_FILES) await rm(join(dir, f), { force: true }).catch((err: unknown) => Promise.reject(fileError(join(dir, f), "remove", err)));
    }
    return { dir, last, best: join(dir, "best.ckpt"), metrics: join(dir, "metrics.jsonl"), release };
  } catch (err) {
    release();
    throw err;
  }
}

async function describeRun(last: string): Promise<string> {
  try {
    const meta = await readCheckpointMeta(last);
    const epochs = (meta.run as { epochs?: number } | undefined)?.epochs;
    return `${meta.config.name}, epoch ${meta.epoch}${epochs ? ` of ${epochs}` : ""}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Creates `dir` level by level (Node's recursive mkdir never returns on /proc-like file systems). */
async function makeFolder(dir: string): Promise<void> {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    const st = await stat(d).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" || err.code === "ENOTDIR" ? undefined : Promise.reject(fileError(dir, "use it as the run folder", err))));
    if (st) {
      if (!st.isDirectory()) throw new Error(`${dir}: cannot use it as the run folder (${d} is a file, not a folder)`);
      break;
    }
    missing.unshift(d);
    if (dirname(d) === d) break;
    d = dirname(d);
  }
  for (const m of missing) {
    await mkdir(m).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "EEXIST") return;
      // mkdir answers ENOENT where the parent exists but takes no new folders (/proc, /sys).
      if (err.code === "ENOENT") throw new Error(`${dir}: cannot create the run folder (${dirname(m)} does not accept new folders)`);
      throw fileError(dir, "create the run folder", err);
    });
  }
}

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function lock(dir: string): Promise<() => void> {
  const file = join(dir, ".lock");
  const me: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = join(dir, `.lock.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      await writeFile(tmp, JSON.stringify(me));
      await link(tmp, file);
      await unlink(tmp);
      const onExit = () => {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
      process.on("exit", onExit);
      return () => {
        process.removeListener("exit", onExit);
        onExit();
      };
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") continue; // our temporary file was cleared by the run holding the lock
      if (code !== "EEXIST") throw fileError(dir, "write in the run folder", err);
      const text = await readFile(file, "utf8").catch(() => "");
      const holder = parseLock(text);
      if (holder && holder.host === me.host && pidAlive(holder.pid)) {
        const who = holder.pid === process.pid ? "this process" : `pid ${holder.pid}`;
        throw new Error(`${dir}: another training run (${who}, started ${holder.started}) is using this folder; wait for it to end or choose another --out`);
      }
      // Stale: its run was killed. Remove it unless another run has just replaced it.
      if ((await readFile(file, "utf8").catch(() => "")) === text) await unlink(file).catch(() => undefined);
    }
  }
  throw new Error(`${dir}: could not lock the run folder (${file} keeps coming back)`);
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const l = JSON.parse(text) as LockInfo;
    return Number.isInteger(l.pid) && typeof l.host === "string" ? l : undefined;
  } catch {
    return undefined;
  }
}
