#!/usr/bin/env node
// Makes the native TensorFlow backend (@tensorflow/tfjs-node) work on machines that cannot reach
// storage.googleapis.com, where tfjs-node's own install script downloads libtensorflow from.
//
// Steps (each skipped when already done):
//   1. tfjs-node's package files: npm removes an optional dependency whose install script failed,
//      so we fetch the exact version with `npm pack` (the npm registry is reachable).
//   2. The TensorFlow C library: the `tensorflow-cpu` wheel from the configured pip index ships
//      libtensorflow_cc.so.2, which exports the C API tfjs-node's binding calls.
//   3. The binding: node-gyp builds tfjs_binding.node against that library (~45 s on 2 cores).
//   4. A smoke test in a child process (a conv3d and its gradient).
//
// It never fails `npm install`: on any error it prints one line saying the pure-JS cpu backend
// will be used and how to retry (`npm run native`), then exits 0.
// Flags: --force rebuilds even when tfjs-node already loads. SLOWFAST_SKIP_NATIVE=1 skips all.
"use strict";
const fs = require("fs");
const path = require("path");
const { execFileSync, spawnSync } = require("child_process");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "slowfast-native");
const PKG_DIR = path.join(ROOT, "node_modules", "@tensorflow", "tfjs-node");
const TFJS_NODE_VERSION = require(path.join(ROOT, "package.json")).optionalDependencies["@tensorflow/tfjs-node"];
const TF_WHEEL = process.env.SLOWFAST_TF_WHEEL_SPEC || "tensorflow-cpu==2.21.0";
const FORCE = process.argv.includes("--force");

function log(msg) {
  console.log(`[native] ${msg}`);
}

// Loads tfjs-node in a child process (a broken binding can abort the process) and runs a conv3d
// forward + gradient, the op this kit depends on most.
function nativeWorks() {
  const probe = `
    const tf = require('@tensorflow/tfjs-node');
    const x = tf.ones([1, 4, 6, 6, 2]);
    const w = tf.ones([3, 3, 3, 2, 4]);
    const g = tf.grad((w) => tf.conv3d(x, w, 1, 'same').sum())(w);
    if (tf.getBackend() !== 'tensorflow' || !(g.dataSync()[0] > 0)) process.exit(3);
    console.log(tf.version.tfjs + ' / TF ' + tf.backend().binding.TF_Version);
  `;
  const r = spawnSync(process.execPath, ["-e", probe], { cwd: ROOT, encoding: "utf8", env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" } });
  return r.status === 0 ? r.stdout.trim() : null;
}

function run(cmd, args, opts = {}) {
  execFileSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], ...opts });
}

// 1. tfjs-node's package files.
function ensurePackageFiles() {
  if (fs.existsSync(path.join(PKG_DIR, "binding.gyp"))) return;
  log(`fetching @tensorflow/tfjs-node@${TFJS_NODE_VERSION} from the npm registry`);
  fs.mkdirSync(CACHE, { recursive: true });
  const out = execFileSync("npm", ["pack", `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`, "--silent", "--pack-destination", CACHE], { cwd: CACHE, encoding: "utf8" });
  const tarball = path.join(CACHE, out.trim().split("\n").pop());
  fs.mkdirSync(PKG_DIR, { recursive: true });
  run("tar", ["xzf", tarball, "-C", PKG_DIR, "--strip-components=1"]);
}

function findPython() {
  for (const py of [process.env.PYTHON, "python3", "python"].filter(Boolean)) {
    if (spawnSync(py, ["-m", "pip", "--version"], { stdio: "ignore" }).status === 0) return py;
  }
  throw new Error("no python with pip found (needed to fetch the tensorflow-cpu wheel); set PYTHON=/path/to/python3");
}

// 2. The TensorFlow C library and headers, taken out of the tensorflow-cpu wheel.
function ensureTensorflowLibrary() {
  const libDir = path.join(PKG_DIR, "deps", "lib");
  if (fs.existsSync(path.join(libDir, "libtensorflow.so"))) return;
  const wheelDir = path.join(CACHE, "wheel");
  fs.mkdirSync(wheelDir, { recursive: true });
  let wheel = fs.readdirSync(wheelDir).find((f) => f.endsWith(".whl"));
  const python = findPython();
  if (!wheel) {
    log(`downloading ${TF_WHEEL} (C library, ~250 MB) from the configured pip index`);
    // --retries 0 --timeout 5: fall through an unreachable default index in seconds, not minutes.
    run(python, ["-m", "pip", "download", "--no-deps", "--retries", "0", "--timeout", "5", "-d", wheelDir, TF_WHEEL]);
    wheel = fs.readdirSync(wheelDir).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new Error(`pip download ${TF_WHEEL} produced no wheel`);
  }
  log(`extracting the TensorFlow C library from ${wheel}`);
  // Only the two shared libraries and the headers the binding includes (followed transitively);
  // the wheel holds ~1 GB more that we do not need.
  const extract = `
import os, re, sys, zipfile
wheel, deps = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(wheel)
names = set(z.namelist())

def copy(member, dest):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with z.open(member) as src, open(dest + '.part', 'wb') as out:
        while True:
            chunk = src.read(1 << 22)
            if not chunk:
                break
            out.write(chunk)
    os.replace(dest + '.part', dest)

for lib in ('libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'):
    copy('tensorflow/' + lib, os.path.join(deps, 'lib', lib))

prefix = 'tensorflow/include/'
todo = ['tensorflow/c/c_api.h', 'tensorflow/c/eager/c_api.h', 'tensorflow/c/tf_datatype.h',
        'tensorflow/c/tf_status.h', 'tensorflow/c/tf_tensor.h', 'tensorflow/core/platform/ctstring_internal.h']
seen = set()
while todo:
    header = todo.pop()
    if header in seen or prefix + header not in names:
        continue
    seen.add(header)
    copy(prefix + header, os.path.join(deps, 'include', header))
    todo += re.findall(r'#include\\s+"([^"]+)"', z.read(prefix + header).decode('utf-8', 'replace'))
`;
  run(python, ["-c", extract, path.join(wheelDir, wheel), path.join(PKG_DIR, "deps")]);
  // The binding links -ltensorflow -ltensorflow_framework; the loader then looks for the SONAMEs
  // (libtensorflow_cc.so.2, libtensorflow_framework.so.2), which sit beside these links.
  fs.symlinkSync("libtensorflow_framework.so.2", path.join(libDir, "libtensorflow_framework.so"));
  fs.symlinkSync("libtensorflow_cc.so.2", path.join(libDir, "libtensorflow.so"));
}

function napiBuildVersion() {
  const versions = require(path.join(PKG_DIR, "package.json")).binary.napi_versions;
  const supported = Number(process.versions.napi);
  return Math.max(...versions.filter((v) => v <= supported));
}

function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error("node-gyp not found (it ships with npm); install it with `npm i -g node-gyp`");
  return found;
}

// 3. Build the binding where node-pre-gyp's `find` (used by tfjs-node at load time) looks for it.
function buildBinding() {
  const napi = napiBuildVersion();
  const modulePath = path.join(PKG_DIR, "lib", `napi-v${napi}`);
  log(`building tfjs-node's binding against it with node-gyp (about a minute)`);
  const args = [nodeGypScript(), "rebuild", "--module_name=tfjs_binding", `--module_path=${modulePath}`, `--napi_build_version=${napi}`];
  run(process.execPath, args, { cwd: PKG_DIR });
}

function main() {
  if (process.env.SLOWFAST_SKIP_NATIVE === "1") {
    log("SLOWFAST_SKIP_NATIVE=1: not setting up the native backend");
    return;
  }
  const already = !FORCE && nativeWorks();
  if (already) {
    log(`native backend ready (tfjs ${already})`);
    return;
  }
  try {
    ensurePackageFiles();
    ensureTensorflowLibrary();
    buildBinding();
    const version = nativeWorks();
    if (!version) throw new Error("the rebuilt binding does not load or gives wrong conv3d gradients");
    log(`native backend ready (tfjs ${version})`);
  } catch (err) {
    const reason = String(err && err.message ? err.message : err).split("\n")[0];
    log(`native backend unavailable (${reason}).`);
    log("slowfast will run on the pure-JS cpu backend (~80-100x slower). To retry: npm run native");
  }
}

main();
