// UCF101's official layout, read as released:
//
//   <root>/UCF-101/<ClassName>/v_<ClassName>_gNN_cNN.avi        13,320 clips, 101 classes
//   <root>/ucfTrainTestlist/classInd.txt                        "1 ApplyEyeMakeup" (1-based)
//   <root>/ucfTrainTestlist/trainlist0S.txt                     "ApplyEyeMakeup/v_..._g08_c01.avi 1"
//   <root>/ucfTrainTestlist/testlist0S.txt                      "ApplyEyeMakeup/v_..._g01_c01.avi"
//   <root>/ucfTrainTestlist/kit.json                            (optional, this kit's own data sets)
//
// Traps, all measured on the real files:
//   - CRLF line endings (and a trailing empty line): lines are split on /\r?\n/ and trimmed.
//   - Class 37 is "HandstandPushups" in classInd.txt but "HandStandPushups" in the clip file names
//     (and, depending on how the archive was unpacked, in the folder name): class names and paths
//     are matched case-insensitively against what is really on disk.
//   - Groups: gNN is one actor/scene; its clips (cNN) look alike. The official splits keep every
//     group on one side (split s tests groups 7(s-1)+1..7s); loadUcf101 refuses lists that put a
//     group on both sides, because a score measured that way would mostly measure memorisation.
//
// Labels are 0-based here (classInd's 1-based number minus one), as mmaction2's annotation files use.
// Clip paths are not checked for existence here, so a partial tree loads: preflight() (loader.ts)
// and `slowfast data check` say which clips are missing or unreadable.
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

export interface ClipEntry {
  /** Absolute-or-root-relative path of the .avi file (root joined with UCF-101/...), as on disk when it exists. */
  path: string;
  /** 0-based class index. */
  label: number;
  className: string;
  /** The gNN number: clips of one group share actor and scene. */
  group: number;
}

/** Augmentation facts a data set states about itself (ucfTrainTestlist/kit.json), with defaults for UCF101. */
export interface DatasetAugment {
  /**
   * Whether a horizontal flip keeps the label. True for UCF101 (a mirrored basketball shot is still
   * one); false for the synthetic set, where mirroring turns "moving left" into "moving right" and
   * "clockwise" into "anticlockwise" and so would teach the model wrong labels half the time.
   */
  flip: boolean;
  /** RandomResizedCrop's area range; mmaction2's default is [0.08, 1]. */
  areaRange: [number, number];
  /** RandomResizedCrop's aspect-ratio range; mmaction2's default is [3/4, 4/3]. */
  aspectRange: [number, number];
}

export interface VideoDataset {
  root: string;
  split: number;
  /** Class names in label order (classInd.txt's spelling). */
  classes: string[];
  train: ClipEntry[];
  test: ClipEntry[];
  /** Augmentation that suits this data set: pass `...dataset.augment` to the ClipLoader options. */
  augment: DatasetAugment;
  /** The parsed kit.json when the data set has one (the synthetic set does). */
  kit?: KitJson;
}

/** The optional ucfTrainTestlist/kit.json that this kit's generated data sets carry. */
export interface KitJson {
  name?: string;
  flip?: boolean;
  areaRange?: [number, number];
  aspectRange?: [number, number];
  [key: string]: unknown;
}

export const UCF101_DEFAULT_AUGMENT: DatasetAugment = { flip: true, areaRange: [0.08, 1], aspectRange: [3 / 4, 4 / 3] };
export const VIDEO_DIR = "UCF-101";
export const LIST_DIR = "ucfTrainTestlist";
export const KIT_FILE = "kit.json";

/** Non-empty trimmed lines with their 1-based line numbers (CRLF or LF). */
function lines(text: string): { no: number; text: string }[] {
  return text
    .split(/\r?\n/)
    .map((t, i) => ({ no: i + 1, text: t.trim() }))
    .filter((l) => l.text !== "");
}

/** Parses classInd.txt ("1 ApplyEyeMakeup" per line, numbered 1..K in order). */
export function parseClassInd(text: string, file = "classInd.txt"): string[] {
  const classes: string[] = [];
  for (const l of lines(text)) {
    const m = /^(\d+)\s+(\S+)$/.exec(l.text);
    if (!m) throw new Error(`${file}:${l.no}: expected "<number> <ClassName>", got "${l.text}"`);
    const n = Number(m[1]);
    if (n !== classes.length + 1) throw new Error(`${file}:${l.no}: expected class number ${classes.length + 1}, got ${n}`);
    classes.push(m[2]);
  }
  if (classes.length === 0) throw new Error(`${file}: no classes listed`);
  return classes;
}

/** "v_ApplyEyeMakeup_g08_c01.avi" -> { group: 8, clip: 1 }; undefined if the name does not follow UCF101's pattern. */
export function parseClipName(name: string): { group: number; clip: number } | undefined {
  const m = /_g(\d+)_c(\d+)\.\w+$/i.exec(name);
  return m ? { group: Number(m[1]), clip: Number(m[2]) } : undefined;
}

export interface ListLine {
  /** Line number in the list file (1-based). */
  no: number;
  /** "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi" as written. */
  rel: string;
  /** The 1-based label written on trainlist lines; undefined on testlist lines. */
  label1?: number;
}

/**
 * Parses a trainlist ("Class/v_..avi 1") or testlist ("Class/v_..avi") file: exactly one folder and
 * one file name per line, each clip once (a line listed twice would count twice in every epoch).
 */
export function parseSplitList(text: string, file: string): ListLine[] {
  const seen = new Map<string, number>();
  return lines(text).map((l) => {
    const m = /^([^\s/]+\/[^\s/]+)(?:\s+(\d+))?$/.exec(l.text);
    if (!m) throw new Error(`${file}:${l.no}: expected "<Class>/<clip>.avi [label]", got "${l.text}"`);
    const first = seen.get(m[1].toLowerCase());
    if (first !== undefined) throw new Error(`${file}:${l.no}: "${m[1]}" is listed twice (first on line ${first})`);
    seen.set(m[1].toLowerCase(), l.no);
    return { no: l.no, rel: m[1], ...(m[2] !== undefined && { label1: Number(m[2]) }) };
  });
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read ${what} (${code === "ENOENT" ? "file not found" : String(code ?? err)})`);
  }
}

/** Case-insensitive lookup of directory entries, read once per directory. */
class CaseInsensitiveDir {
  private dirs = new Map<string, Promise<Map<string, string>>>();

  private entries(dir: string): Promise<Map<string, string>> {
    let p = this.dirs.get(dir);
    if (!p) {
      p = readdir(dir)
        .then((names) => new Map(names.map((n) => [n.toLowerCase(), n] as const)))
        .catch(() => new Map<string, string>());
      this.dirs.set(dir, p);
    }
    return p;
  }

  /** The on-disk spelling of `name` inside `dir`, or `name` itself when there is none. */
  async resolve(dir: string, name: string): Promise<string> {
    return (await this.entries(dir)).get(name.toLowerCase()) ?? name;
  }
}

/**
 * Reads the official UCF101 split `split` (1..3) under `root`. `classes: N` keeps the first N
 * classes of classInd.txt (labels 0..N-1) for small runs. Throws, naming file and line, on a
 * missing or malformed list, a class not in classInd.txt, a label that disagrees with the folder,
 * or a group listed on both sides.
 */
export async function loadUcf101(root: string, opts: { split?: number; classes?: number } = {}): Promise<VideoDataset> {
  const split = opts.split ?? 1;
  const listDir = join(root, LIST_DIR);
  const videoDir = join(root, VIDEO_DIR);
  if (!existsSync(listDir)) {
    throw new Error(`${listDir}: split lists not found; expected ${root} to hold ${LIST_DIR}/ (classInd.txt, trainlist0N.txt, testlist0N.txt) and ${VIDEO_DIR}/<Class>/*.avi (\`slowfast data download --root ${root}\` gets them)`);
  }
  if (!Number.isInteger(split) || split < 1) throw new Error(`split must be a positive integer (UCF101 has splits 1, 2, 3), got ${split}`);
  const classFile = join(listDir, "classInd.txt");
  const allClasses = parseClassInd(await readText(classFile, "the class index"), classFile);
  const keep = opts.classes ?? allClasses.length;
  if (!Number.isInteger(keep) || keep < 1 || keep > allClasses.length) {
    throw new Error(`classes must be an integer from 1 to ${allClasses.length} (${classFile} lists ${allClasses.length}), got ${opts.classes}`);
  }
  const classes = allClasses.slice(0, keep);
  const labelOf = new Map(allClasses.map((c, i) => [c.toLowerCase(), i] as const));

  const pad = String(split).padStart(2, "0");
  const trainFile = join(listDir, `trainlist${pad}.txt`);
  const testFile = join(listDir, `testlist${pad}.txt`);
  for (const f of [trainFile, testFile]) {
    if (!existsSync(f)) {
      const have = (await readdir(listDir)).filter((n) => /^(train|test)list\d+\.txt$/.test(n)).sort();
      throw new Error(`${f}: split ${split} not found; ${listDir} has ${have.length > 0 ? have.join(", ") : "no split lists"}`);
    }
  }
  const dirs = new CaseInsensitiveDir();

  const toEntries = async (file: string, kind: "train" | "test"): Promise<ClipEntry[]> => {
    const out: ClipEntry[] = [];
    for (const l of parseSplitList(await readText(file, `the ${kind} list`), file)) {
      const [folder, name] = l.rel.split("/");
      const label = labelOf.get(folder.toLowerCase());
      if (label === undefined) {
        throw new Error(`${file}:${l.no}: class "${folder}" is not in ${classFile} (${allClasses.length} classes: ${allClasses.slice(0, 3).join(", ")}, ...)`);
      }
      if (l.label1 !== undefined && l.label1 - 1 !== label) {
        throw new Error(`${file}:${l.no}: label ${l.label1} but ${classFile} numbers "${allClasses[label]}" ${label + 1}`);
      }
      const parsed = parseClipName(name);
      if (!parsed) throw new Error(`${file}:${l.no}: "${name}" does not follow UCF101's v_<Class>_gNN_cNN.avi naming`);
      if (label >= keep) continue;
      const diskFolder = await dirs.resolve(videoDir, folder);
      const diskName = await dirs.resolve(join(videoDir, diskFolder), name);
      out.push({ path: join(videoDir, diskFolder, diskName), label, className: allClasses[label], group: parsed.group });
    }
    return out;
  };
  const train = await toEntries(trainFile, "train");
  const test = await toEntries(testFile, "test");

  // Official splits never put one group (actor/scene) on both sides; refuse lists that do.
  const trainGroups = new Map(train.map((e) => [`${e.label}:${e.group}`, e] as const));
  const leak = test.find((e) => trainGroups.has(`${e.label}:${e.group}`));
  if (leak) {
    throw new Error(`${testFile}: group g${String(leak.group).padStart(2, "0")} of class ${leak.className} is in both ${trainFile} and ${testFile} (${leak.path}); UCF101 splits keep each group on one side`);
  }

  const kitFile = join(listDir, KIT_FILE);
  const kit = existsSync(kitFile) ? parseKitJson(await readFile(kitFile, "utf8"), kitFile) : undefined;
  const augment: DatasetAugment = {
    flip: kit?.flip ?? UCF101_DEFAULT_AUGMENT.flip,
    areaRange: kit?.areaRange ?? UCF101_DEFAULT_AUGMENT.areaRange,
    aspectRange: kit?.aspectRange ?? UCF101_DEFAULT_AUGMENT.aspectRange,
  };
  return { root, split, classes, train, test, augment, ...(kit && { kit }) };
}

/** kit.json: a JSON object whose known keys have the right types (a wrong one is an error, never a silent default). */
export function parseKitJson(text: string, file = KIT_FILE): KitJson {
  let kit: unknown;
  try {
    kit = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof kit !== "object" || kit === null || Array.isArray(kit)) throw new Error(`${file}: expected a JSON object like {"flip": false}, got ${JSON.stringify(kit)}`);
  const k = kit as KitJson;
  if (k.name !== undefined && typeof k.name !== "string") throw new Error(`${file}: "name" must be a string, got ${JSON.stringify(k.name)}`);
  if (k.flip !== undefined && typeof k.flip !== "boolean") throw new Error(`${file}: "flip" must be true or false, got ${JSON.stringify(k.flip)}`);
  const a = k.areaRange as unknown;
  if (a !== undefined && !(Array.isArray(a) && a.length === 2 && a.every((x) => typeof x === "number") && 0 < a[0] && a[0] <= a[1] && a[1] <= 1)) {
    throw new Error(`${file}: "areaRange" must be two numbers 0 < min <= max <= 1, got ${JSON.stringify(a)}`);
  }
  const r = k.aspectRange as unknown;
  if (r !== undefined && !(Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === "number") && 0 < r[0] && r[0] <= r[1])) {
    throw new Error(`${file}: "aspectRange" must be two numbers 0 < min <= max, got ${JSON.stringify(r)}`);
  }
  return k;
}
