// The PyTorch twin (bench/torch/): finding its Python and talking to its measuring server.
//
// The server (serve.py) is started once and kept alive; each request is one JSON line on its stdin,
// each reply one JSON line on its stdout, in order. A request-reply helper process, as
// src/data/ffmpeg.ts's SpawnHelper, over pipes instead of IPC because the other end is Python.
// Python: $SLOWFAST_TORCH_PYTHON, else the project's .venv/bin/python.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { SlowFastConfig } from "../model/config";

const ROOT = join(__dirname, "..", "..");
export const TWIN_DIR = join(ROOT, "bench", "torch");
const VENV_PYTHON = join(ROOT, ".venv", "bin", "python");
const INSTALL = ".venv/bin/pip install --retries 0 --timeout 5 torch==2.13.0+cpu numpy";

export function twinPython(): string {
  return process.env.SLOWFAST_TORCH_PYTHON || VENV_PYTHON;
}

export type TwinCheck = { ok: true; python: string } | { ok: false; python: string; reason: string; install: string };

/** Whether the twin can run: a python that imports torch and numpy. `install` is a one-line fix. */
export function checkTwin(python = twinPython()): TwinCheck {
  const install = python === VENV_PYTHON && !existsSync(VENV_PYTHON) ? `python3 -m venv .venv && ${INSTALL}` : INSTALL;
  if (python.includes("/") && !existsSync(python)) return { ok: false, python, reason: `${python} does not exist`, install };
  const r = spawnSync(python, ["-c", "import torch, numpy"], { encoding: "utf8", timeout: 60_000 });
  if (r.status === 0) return { ok: true, python };
  const why = (r.error?.message ?? r.stderr ?? "").trim().split("\n").pop() || `exit ${r.status ?? r.signal}`;
  return { ok: false, python, reason: `${python} cannot import torch and numpy (${why})`, install };
}

export interface TwinOptimizer {
  kind: string;
  lr: number;
  clipNorm?: number;
  [key: string]: unknown;
}

export interface TwinBuild {
  params: number;
  /** NCTHW. */
  input: number[];
  torch: string;
  threads: number;
}

type Pending = { resolve: (reply: Record<string, unknown>) => void; reject: (err: Error) => void };

export class TorchTwin {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private dead: string | undefined;

  /** Starts serve.py with torch.set_num_threads(threads). */
  constructor(threads: number, python = twinPython()) {
    this.child = spawn(python, ["-B", join(TWIN_DIR, "serve.py"), "--threads", String(threads)], { cwd: TWIN_DIR, stdio: ["pipe", "pipe", "pipe"] });
    const stderr: string[] = [];
    this.child.stderr.on("data", (b: Buffer) => {
      stderr.push(b.toString());
      if (stderr.length > 50) stderr.shift();
      process.stderr.write(b);
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const p = this.pending.shift();
      if (!p) return;
      try {
        const reply = JSON.parse(line) as Record<string, unknown>;
        if (reply.ok) p.resolve(reply);
        else p.reject(new Error(`torch twin: ${String(reply.error)}`));
      } catch {
        p.reject(new Error(`torch twin: unreadable reply ${JSON.stringify(line.slice(0, 200))}`));
      }
    });
    const fail = (why: string) => {
      this.dead ??= why;
      const tail = stderr.join("").trim().split("\n").slice(-3).join(" | ");
      for (const p of this.pending.splice(0)) p.reject(new Error(`torch twin ${why}${tail ? `: ${tail}` : ""}`));
    };
    this.child.on("exit", (code, signal) => fail(`exited (${signal ?? code})`));
    this.child.on("error", (e) => fail(`failed to start: ${e.message}`));
    this.child.stdin.on("error", () => undefined); // a dead server is reported through "exit"
  }

  private request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.dead) return Promise.reject(new Error(`torch twin ${this.dead}`));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    });
  }

  /** Builds the twin of `config` with a random batch and the optimiser; replaces the previous one. */
  async build(config: SlowFastConfig, batch: number, optimizer: TwinOptimizer, seed = 0): Promise<TwinBuild> {
    return (await this.request({ cmd: "build", config, batch, optimizer, seed })) as unknown as TwinBuild;
  }

  /** Times `n` training steps (ms each, measured in Python). */
  async train(n: number): Promise<number[]> {
    return (await this.request({ cmd: "train", n })).ms as number[];
  }

  /** Times `n` eval-mode forward passes (ms each, measured in Python). */
  async forward(n: number): Promise<number[]> {
    return (await this.request({ cmd: "forward", n })).ms as number[];
  }

  /** Ends the server (end of input) and waits for it to exit. */
  async close(): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}
