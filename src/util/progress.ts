// Terminal progress bars (cli-progress on stderr): the lazily started bar the CLI draws for data
// jobs, and the per-epoch bar of the training loop.
import { SingleBar } from "cli-progress";

export interface Progress {
  update: (done: number, total: number) => void;
  stop: () => void;
}

/**
 * A bar on stderr when it is a terminal, silent otherwise (logs and --json stay clean). It starts at
 * the first update, so the total can come from the job itself. `format` is cli-progress's.
 */
export function progressBar(format: string, opts: { clearOnComplete?: boolean } = {}): Progress {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format, stream: process.stderr, hideCursor: true, ...(opts.clearOnComplete && { clearOnComplete: true }) });
  let started = false;
  return {
    update: (done, total) => {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}

/** The training loop's bar for one epoch; `increment` it with { loss, acc, cps } after each batch. */
export function epochBar(epoch: number, epochs: number, total: number): SingleBar {
  const bar = new SingleBar({
    format: `epoch ${epoch + 1}/${epochs} {bar} {value}/{total} batches | loss {loss} | acc {acc}% | {cps} clips/s | ETA {eta_formatted}`,
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 20,
  });
  bar.start(total, 0, { loss: "-", acc: "-", cps: "-" });
  return bar;
}
