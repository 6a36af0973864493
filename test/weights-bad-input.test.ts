// A checkpoint from the internet is untrusted input. `slowfast import` on a truncated zip, a pickle
// that asks for os.system, a state dict with one tensor missing or one mis-shaped, and a PySlowFast
// checkpoint: each ends with exit code 1 and ONE line naming the file and the problem, and writes
// nothing (no .ckpt, no temporary file).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { encodeTorchFile, OrderedTensors, parseTorchFile, type TensorOut, TensorRef } from "../src/interop/torch_file";
import { writeZip } from "../src/interop/zip";
import { fixtureCheckpoint } from "./mmaction2-fixture";

const CLI = join(__dirname, "..", "bin", "slowfast.js");
const GOOD = fixtureCheckpoint("slowfast_test");

/** The fixture's state dict as writable tensors, in order. */
function fixtureTensors(): [string, TensorOut][] {
  const sd = (parseTorchFile(readFileSync(GOOD)).value as Map<string, Map<string, TensorRef>>).get("state_dict")!;
  return [...sd].map(([k, t]) => [k, t.dtype === "int64" ? { shape: t.shape, data: BigInt64Array.from(t.toFloat32(), (v) => BigInt(v)) } : { shape: t.shape, data: t.toFloat32() }]);
}

/** Runs `slowfast import FILE --out DIR/out.ckpt`: exit code, our stderr lines (TensorFlow's own log lines left out), files left in DIR. */
function importFile(dir: string, file: string) {
  const r = spawnSync(process.execPath, [CLI, "import", file, "--out", join(dir, "out.ckpt")], { encoding: "utf8", timeout: 120_000 });
  const lines = r.stderr.split("\n").filter((l) => l.trim() && !/^(WARNING: All log messages|[IWE]\d{4} )/.test(l));
  return { code: r.status, lines, files: readdirSync(dir) };
}

const cases: { what: string; make: (dir: string) => string; expect: RegExp }[] = [
  {
    what: "a truncated zip",
    make: (dir) => {
      const f = join(dir, "truncated.pth");
      const good = readFileSync(GOOD);
      writeFileSync(f, good.subarray(0, Math.floor(good.length * 0.6)));
      return f;
    },
    expect: /truncated\.pth: not a zip archive, or truncated/,
  },
  {
    what: "a pickle that asks for os.system",
    make: (dir) => {
      const f = join(dir, "evil.pth");
      const marker = join(dir, "pwned");
      const pkl = Buffer.from(`\x80\x02cos\nsystem\nX${String.fromCharCode(("touch " + marker).length)}\x00\x00\x00touch ${marker}\x85R.`, "latin1");
      writeFileSync(f, writeZip([{ name: "archive/data.pkl", data: pkl }]));
      return f;
    },
    expect: /evil\.pth: asks for the Python global "os\.system"; refused \(nothing was run\)/,
  },
  {
    what: "a state dict with one tensor missing",
    make: (dir) => {
      const f = join(dir, "missing.pth");
      const tensors = fixtureTensors().filter(([k]) => k !== "backbone.slow_path.layer2.0.conv2.conv.weight");
      writeFileSync(f, encodeTorchFile({ meta: {}, state_dict: new OrderedTensors(tensors) }));
      return f;
    },
    expect: /missing\.pth: 1 kit parameter\(s\) missing from the state_dict: slow\.res3\.0\.conv2\.conv\.weight/,
  },
  {
    what: "a state dict with one tensor mis-shaped",
    make: (dir) => {
      const f = join(dir, "misshaped.pth");
      const tensors = fixtureTensors().map(([k, t]): [string, TensorOut] =>
        k === "backbone.slow_path.layer2.0.conv2.conv.weight" ? [k, { shape: [t.shape[0], t.shape[1], 1, 1, 1], data: new Float32Array(t.shape[0] * t.shape[1]) }] : [k, t],
      );
      writeFileSync(f, encodeTorchFile({ meta: {}, state_dict: new OrderedTensors(tensors) }));
      return f;
    },
    expect: /misshaped\.pth: 1 shape mismatch\(es\): backbone\.slow_path\.layer2\.0\.conv2\.conv\.weight -> slow\.res3\.0\.conv2\.conv\.weight: expected \[1,3,3,16,16\] \(mmaction2 \[16,16,1,1,1\]/,
  },
  {
    what: "a PySlowFast checkpoint",
    make: (dir) => {
      const f = join(dir, "pyslowfast.pth");
      const t = (shape: number[]): TensorOut => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
      const keys: [string, TensorOut][] = [
        ["s1.pathway0_stem.conv.weight", t([64, 3, 1, 7, 7])],
        ["s1.pathway1_stem.conv.weight", t([8, 3, 5, 7, 7])],
        ["s1_fuse.conv_f2s.weight", t([16, 8, 7, 1, 1])],
        ["s1_fuse.bn.weight", t([16])],
        ["head.projection.weight", t([400, 2304])],
      ];
      writeFileSync(f, encodeTorchFile({ model_state: new OrderedTensors(keys), epoch: 196 }));
      return f;
    },
    expect: /pyslowfast\.pth: a PySlowFast checkpoint \(keys like s1\.pathway0_stem\.conv\.weight, .*\), not mmaction2's: its laterals carry BN \+ ReLU .* its head concatenates slow then fast/,
  },
];

for (const c of cases) {
  test(`slowfast import refuses ${c.what}: one line, exit 1, nothing written`, () => {
    const dir = mkdtempSync(join(tmpdir(), "slowfast-bad-weights-"));
    const file = c.make(dir);
    const before = readdirSync(dir);
    const r = importFile(dir, file);
    assert.equal(r.code, 1, r.lines.join("\n"));
    assert.equal(r.lines.length, 1, `exactly one line on stderr, got:\n${r.lines.join("\n")}`);
    assert.ok(r.lines[0].startsWith(`slowfast: ${file}: `), r.lines[0]);
    assert.match(r.lines[0], c.expect);
    assert.deepEqual(r.files, before, "nothing written next to it (no out.ckpt, no temporary file)");
    assert.ok(!existsSync(join(dir, "pwned")), "no command ran");
    rmSync(dir, { recursive: true, force: true });
  });
}
