// Picks the TensorFlow.js backend once, at import time. Every module imports `tf` from here, so
// nothing runs before the choice is made and nothing imports TensorFlow.js another way.
//
//   native  @tensorflow/tfjs-node: TensorFlow's C library (oneDNN kernels). The fast path.
//   cpu     @tensorflow/tfjs's pure-JS kernels: 78-100x slower (README "Benchmark": slowfast_tiny,
//           forward and training step), always available.
//
// SLOWFAST_BACKEND=cpu forces the pure-JS fallback (so it stays tested); SLOWFAST_BACKEND=native
// makes a missing native backend an error instead of a fallback. Both errors are BackendErrors, which
// bin/slowfast.js prints as one line. A fallback prints nothing here: every entry point prints
// describeBackend(), one line that says why. The wasm backend is deliberately not offered: measured
// here, its conv3d gradients are wrong.
import * as tf from "@tensorflow/tfjs";

export { tf };

export type BackendKind = "native" | "cpu";

export interface BackendInfo {
  kind: BackendKind;
  /** tfjs backend name: "tensorflow" (native) or "cpu". */
  name: string;
  tfjsVersion: string;
  /** Why the fast path is not in use, when it is not. */
  fallbackReason?: string;
}

const HOW_TO_GET_NATIVE = "run `npm run native` to build the native TensorFlow backend";
const SLOWER = "~80-100x slower";

/** A wrong SLOWFAST_BACKEND, or a native backend that was required and failed: one line, no stack. */
export class BackendError extends Error {
  override name = "BackendError";
}

function loadNative(): string | undefined {
  try {
    // Registers the "tensorflow" backend on the same tfjs-core instance and makes it current.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("@tensorflow/tfjs-node");
    return tf.getBackend() === "tensorflow" ? undefined : `tfjs-node loaded but backend is ${tf.getBackend()}`;
  } catch (err) {
    return String((err as Error).message ?? err).split("\n")[0];
  }
}

function shorten(s: string, max = 120): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

/** The pure-JS backend, without tfjs's "install the node backend" banner (we print our own line). */
function useCpu(): void {
  tf.env().set("PROD", true);
  tf.setBackend("cpu");
}

function chooseBackend(): BackendInfo {
  const requested = (process.env.SLOWFAST_BACKEND ?? "").toLowerCase();
  if (requested !== "" && requested !== "native" && requested !== "cpu") {
    throw new BackendError(`SLOWFAST_BACKEND=${requested} is not a backend: use "native" or "cpu" (or leave it unset)`);
  }
  if (requested !== "cpu") {
    process.env.TF_CPP_MIN_LOG_LEVEL ??= "2"; // silence TensorFlow's start-up banner
    const failure = loadNative();
    if (failure === undefined) return { kind: "native", name: "tensorflow", tfjsVersion: tf.version.tfjs };
    if (requested === "native") throw new BackendError(`SLOWFAST_BACKEND=native but the native backend failed to load: ${failure}; ${HOW_TO_GET_NATIVE}`);
    useCpu();
    return { kind: "cpu", name: "cpu", tfjsVersion: tf.version.tfjs, fallbackReason: `native backend unavailable: ${shorten(failure)}` };
  }
  useCpu();
  return { kind: "cpu", name: "cpu", tfjsVersion: tf.version.tfjs, fallbackReason: "forced by SLOWFAST_BACKEND=cpu" };
}

const info = chooseBackend();

export function backendInfo(): BackendInfo {
  return info;
}

/** One line for the top of every entry point's output. */
export function describeBackend(): string {
  if (info.kind === "native") return `backend: native TensorFlow (tfjs-node, tfjs ${info.tfjsVersion})`;
  return `backend: pure-JS cpu, ${SLOWER} (tfjs ${info.tfjsVersion}; ${info.fallbackReason}); ${HOW_TO_GET_NATIVE}`;
}
