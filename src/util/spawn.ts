// Running a child process to completion: start it, feed its stdin, collect its stderr (and stdout
// when asked), and report the exit code. One copy of the spawn/collect/close plumbing for the
// ffmpeg encoders and other one-shot tools.
import { spawn } from "node:child_process";
import { once } from "node:events";

export interface Collected {
  /** The exit code; null when the process was killed by a signal (e.g. the timeout). */
  code: number | null;
  /** Empty unless `stdout: true`. */
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs `cmd args` and resolves when it has exited and closed its pipes, whatever the exit code.
 * Rejects only when the process cannot be started (the spawn error itself). `stdin`: one buffer,
 * or several written in turn (waiting for the pipe to drain), then the pipe is closed; a process
 * that exits before reading all of it is not an error here (its exit code and stderr say why).
 * `timeoutMs`: SIGKILL after that long.
 */
export function spawnCollect(
  cmd: string,
  args: readonly string[],
  opts: { stdin?: Uint8Array | readonly Uint8Array[]; stdout?: boolean; timeoutMs?: number } = {},
): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.stdin ? "pipe" : "ignore", opts.stdout ? "pipe" : "ignore", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString("utf8") });
    });
    const stdin = child.stdin;
    if (stdin && opts.stdin) {
      stdin.on("error", () => undefined); // an early exit is reported by "close"
      const chunks = opts.stdin;
      if (chunks instanceof Uint8Array) stdin.end(chunks);
      else {
        (async () => {
          for (const c of chunks) if (!stdin.write(c)) await once(stdin, "drain");
          stdin.end();
        })().catch(() => undefined);
      }
    }
  });
}
