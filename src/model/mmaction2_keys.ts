// mmaction2's state_dict names and PyTorch layouts -> this kit's parameter names and tfjs layouts,
// so that weights made by mmaction2 (the parity fixtures, a published checkpoint's `state_dict`)
// load into a SlowFast's ParamStore.
//
// Names (a Recognizer3D's state_dict: backbone.* and cls_head.*):
//   backbone.slow_path.conv1.conv.weight            -> slow.conv1.conv.weight
//   backbone.fast_path.layer1.0.conv2.bn.weight     -> fast.res2.0.conv2.bn.gamma   (layer{k} -> res{k+1})
//   backbone.slow_path.layer3.0.downsample.bn.bias  -> slow.res4.0.downsample.bn.beta
//   ...bn.running_mean / ...bn.running_var          -> the same names (kept, not trainable)
//   ...bn.num_batches_tracked                       -> dropped (PyTorch's step counter; unused
//                                                      with a fixed momentum)
//   backbone.slow_path.conv1_lateral.conv.weight    -> lateral.conv1.conv.weight
//   backbone.slow_path.layer{k}_lateral.conv.weight -> lateral.res{k+1}.conv.weight  (mmaction2
//                                                      keeps the laterals in the slow pathway)
//   cls_head.fc_cls.{weight,bias}                   -> head.fc.{weight,bias}
// Layouts:
//   conv weight [out, in, t, h, w] (rank 5)  -> [t, h, w, in, out]  (tf.conv3d's filter)
//   fc weight   [K, C]             (rank 2)  -> [C, K]              (x @ W, not W @ x)
//   everything else (rank 1 BN vectors, the fc bias) unchanged.
import { tf } from "../backend";
import type { ParamStore } from "./params";

const PREFIXES: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^backbone\.slow_path\.conv1_lateral\./, () => "lateral.conv1."],
  [/^backbone\.slow_path\.layer(\d+)_lateral\./, (m) => `lateral.res${Number(m[1]) + 1}.`],
  [/^backbone\.(slow|fast)_path\./, (m) => `${m[1]}.`],
  [/^cls_head\.fc_cls\./, () => "head.fc."],
];

const EXPECTED_PREFIXES = "backbone.slow_path.*, backbone.fast_path.* or cls_head.fc_cls.*";

/**
 * The kit's parameter name for an mmaction2 state_dict key, or null for keys the kit does not keep
 * (num_batches_tracked). Throws for a key outside the SlowFast recognizer's namespaces.
 */
export function kitParamName(key: string): string | null {
  if (key.endsWith(".num_batches_tracked")) return null;
  for (const [pattern, replace] of PREFIXES) {
    const m = key.match(pattern);
    if (!m) continue;
    return (replace(m) + key.slice(m[0].length))
      .replace(/(^|\.)layer(\d+)\./, (_, dot: string, k: string) => `${dot}res${Number(k) + 1}.`)
      .replace(/\.bn\.weight$/, ".bn.gamma")
      .replace(/\.bn\.bias$/, ".bn.beta");
  }
  throw new Error(`unknown mmaction2 key "${key}": expected ${EXPECTED_PREFIXES}`);
}

/** The shape a PyTorch tensor of shape `shape` has in the kit (see the layout table above). */
export function kitShape(shape: readonly number[]): number[] {
  if (shape.length === 5) return [shape[2], shape[3], shape[4], shape[1], shape[0]];
  if (shape.length === 2) return [shape[1], shape[0]];
  return [...shape];
}

/** A PyTorch-layout tensor -> a new tensor in the kit's layout (the caller disposes both). */
export function toKitLayout(tensor: tf.Tensor): tf.Tensor {
  if (tensor.rank === 5) return tf.transpose(tensor, [2, 3, 4, 1, 0]); // [out,in,t,h,w] -> [t,h,w,in,out]
  if (tensor.rank === 2) return tf.transpose(tensor); // [K, C] -> [C, K]
  return tensor.clone();
}

/**
 * Assigns every parameter and BN statistic of `store` from an mmaction2 state_dict (tensors in
 * PyTorch layouts; the caller keeps ownership of them). All-or-nothing: unknown keys, parameters the
 * state_dict lacks and shape mismatches are collected and thrown as one error that names them,
 * before anything is assigned.
 */
/**
 * Sorts mmaction2 state_dict keys into those with a kit name ([key, name] pairs) and those without
 * one; keys the kit does not keep (num_batches_tracked) are in neither.
 */
export function mapMmaction2Keys(keys: Iterable<string>): { mapped: [string, string][]; unknown: string[] } {
  const mapped: [string, string][] = [];
  const unknown: string[] = [];
  for (const key of keys) {
    let name: string | null;
    try {
      name = kitParamName(key);
    } catch {
      unknown.push(key);
      continue;
    }
    if (name !== null) mapped.push([key, name]);
  }
  return { mapped, unknown };
}

export function loadMmaction2StateDict(store: ParamStore, stateDict: Record<string, tf.Tensor>): void {
  const { mapped, unknown } = mapMmaction2Keys(Object.keys(stateDict));
  const mismatched: string[] = [];
  const plan: [tf.Variable, tf.Tensor][] = [];
  const covered = new Set<string>(); // kit names the state_dict provides, whatever their shape
  for (const [key, name] of mapped) {
    const tensor = stateDict[key];
    const entry = store.entries.get(name);
    if (!entry) {
      unknown.push(`${key} (-> ${name})`);
      continue;
    }
    covered.add(name);
    const want = entry.variable.shape;
    const got = kitShape(tensor.shape);
    if (got.join() !== want.join()) {
      mismatched.push(`${key} -> ${name}: expected [${want}] (mmaction2 [${tensor.shape}] gives [${got}])`);
      continue;
    }
    plan.push([entry.variable, tensor]);
  }
  const missing = [...store.entries.keys()].filter((name) => !covered.has(name));
  const problems = [
    unknown.length ? `${unknown.length} unknown key(s), expected ${EXPECTED_PREFIXES} naming a kit parameter: ${list(unknown)}` : "",
    missing.length ? `${missing.length} kit parameter(s) missing from the state_dict: ${list(missing)}` : "",
    mismatched.length ? `${mismatched.length} shape mismatch(es): ${list(mismatched)}` : "",
  ].filter(Boolean);
  if (problems.length) throw new Error(`cannot load the mmaction2 state_dict: ${problems.join("; ")}`);
  for (const [variable, tensor] of plan) {
    const converted = toKitLayout(tensor);
    variable.assign(converted);
    converted.dispose();
  }
}

function list(items: string[], max = 8): string {
  const shown = items.slice(0, max).join(", ");
  return items.length > max ? `${shown}, ... (${items.length - max} more)` : shown;
}

/**
 * The mmaction2 state_dict key of a kit parameter name: the inverse of kitParamName (which the
 * export round trip checks for every parameter). Throws for a name outside slow. / fast. /
 * lateral. / head.fc.
 */
export function mmaction2Key(name: string): string {
  const rename = (rest: string) =>
    rest
      .replace(/(^|\.)res(\d+)\./, (_, dot: string, k: string) => `${dot}layer${Number(k) - 1}.`)
      .replace(/\.bn\.gamma$/, ".bn.weight")
      .replace(/\.bn\.beta$/, ".bn.bias");
  let m: RegExpMatchArray | null;
  if ((m = name.match(/^lateral\.conv1\.(.*)$/))) return `backbone.slow_path.conv1_lateral.${m[1]}`;
  if ((m = name.match(/^lateral\.res(\d+)\.(.*)$/))) return `backbone.slow_path.layer${Number(m[1]) - 1}_lateral.${m[2]}`;
  if ((m = name.match(/^(slow|fast)\.(.*)$/))) return `backbone.${m[1]}_path.${rename(m[2])}`;
  if ((m = name.match(/^head\.fc\.(weight|bias)$/))) return `cls_head.fc_cls.${m[1]}`;
  throw new Error(`kit parameter "${name}" has no mmaction2 key: expected slow.*, fast.*, lateral.* or head.fc.*`);
}

/** A kit-layout tensor -> a new tensor in PyTorch's layout (the inverse of toKitLayout). */
export function toTorchLayout(tensor: tf.Tensor): tf.Tensor {
  if (tensor.rank === 5) return tf.transpose(tensor, [4, 3, 0, 1, 2]); // [t,h,w,in,out] -> [out,in,t,h,w]
  if (tensor.rank === 2) return tf.transpose(tensor); // [C, K] -> [K, C]
  return tensor.clone();
}
