// Concurrency limits for async work (ffmpeg probes, decodes, encodes): the one place the kit bounds
// how many things run at once. `Limiter` gates calls made from anywhere (FIFO); `runPool` runs a
// numbered list of jobs on a fixed number of workers.

/** A counting semaphore: at most `n` holders at once, FIFO. */
export class Limiter {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * Runs job(0) .. job(count - 1) in index order on `concurrency` workers (at least 1). After a job
 * throws, the workers take no new job; once the running ones have settled, the first worker's
 * error (in worker order) is thrown.
 */
export async function runPool(count: number, concurrency: number, job: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < count && !failed) {
      const k = next++;
      try {
        await job(k);
      } catch (err) {
        failed = true; // the other workers stop at their next job
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.max(1, concurrency) }, worker));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) throw failure.reason;
}
