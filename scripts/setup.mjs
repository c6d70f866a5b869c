#!/usr/bin/env node
// One-shot, idempotent project setup: npm packages, the native TensorFlow addon,
// medst's fused CPU kernels, the Python/Jupyter side and the `medst` tslab kernel. Plain Node (no packages),
// because it runs before node_modules exists. Every step records a stamp so that
// a second run costs well under a second.
//
//   node scripts/setup.mjs            set up everything, verbosely
//   node scripts/setup.mjs --quiet    the same, printing only what it does
//   node scripts/setup.mjs --no-python    skip the Jupyter side
//   node scripts/setup.mjs --gpu      also install @tensorflow/tfjs-node-gpu (needs its download host)
//
// Environment: MEDST_TF_SOURCE=auto|download|wheel (how to get libtensorflow),
// MEDST_CACHE_DIR (default ~/.cache/medst), PYTHON (default python3).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const quiet = args.has('--quiet');
const wantPython = !args.has('--no-python') && process.env.MEDST_SETUP_PYTHON !== '0';
const wantGpu = args.has('--gpu');

const TF_WHEEL_VERSION = '2.21.0';
const TFJS_NODE_DIR = path.join(root, 'node_modules', '@tensorflow', 'tfjs-node');
const cacheDir = process.env.MEDST_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'medst');
const python = process.env.PYTHON ?? 'python3';
const stampPath = path.join(root, 'node_modules', '.medst-setup.json');

function log(message) {
  if (!quiet) console.log(`[setup] ${message}`);
}
function say(message) {
  console.log(`[setup] ${message}`);
}
function fail(message) {
  console.error(`\n[setup] FAILED: ${message}\n[setup] See environment.md, section "Troubleshooting".`);
  process.exit(1);
}

/** Runs a command, streaming its output; returns true on exit code 0. */
function run(cmd, cmdArgs, options = {}) {
  log(`$ ${cmd} ${cmdArgs.join(' ')}`);
  const result = spawnSync(cmd, cmdArgs, {
    cwd: root,
    stdio: quiet && !options.loud ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...process.env, ...options.env },
    timeout: options.timeoutMs,
    encoding: 'utf8',
  });
  if (result.status !== 0 && quiet && !options.loud && !options.allowFail) {
    process.stdout.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
  }
  return result.status === 0;
}

function fileHash(file) {
  return fs.existsSync(file) ? createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16) : 'none';
}
function readStamp() {
  try {
    return JSON.parse(fs.readFileSync(stampPath, 'utf8'));
  } catch {
    return {};
  }
}
function writeStamp(stamp) {
  const tmp = `${stampPath}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(stamp, null, 2));
  fs.renameSync(tmp, stampPath);
}

// ---------------------------------------------------------------- Node + npm
function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) fail(`Node ${process.versions.node} is too old: medst needs Node >= 20.19.`);
}

/** What decides the installed packages: the lock file and package.json's dependency fields (not its scripts). */
function dependencyHash() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const fields = JSON.stringify([pkg.dependencies, pkg.devDependencies, pkg.optionalDependencies, pkg.overrides]);
  return createHash('sha256').update(fields).digest('hex').slice(0, 16) + fileHash(path.join(root, 'package-lock.json'));
}

function ensureNpmPackages(stamp) {
  const depsHash = dependencyHash();
  const installed = fs.existsSync(path.join(root, 'node_modules', '.package-lock.json'));
  if (installed && stamp.npm === depsHash) return;
  // Scripts stay off so that tfjs-node's install does not try its download host here;
  // the addon is handled by ensureNativeTensorflow() below. A fresh tree gets the exact
  // lock (npm ci); an existing one is synced in place so a built addon survives.
  const hasLock = fs.existsSync(path.join(root, 'package-lock.json'));
  const cmd = !installed && hasLock ? 'ci' : 'install';
  say(`installing npm packages (npm ${cmd}, scripts off; the native TensorFlow addon is handled next)`);
  if (!run('npm', [cmd, '--ignore-scripts', '--no-audit', '--no-fund'])) fail(`npm ${cmd} failed`);
  stamp.npm = depsHash;
  writeStamp(stamp);
}

// ------------------------------------------------------- native TensorFlow
function addonLoads() {
  const probe = spawnSync(process.execPath, ['-e', [
    "const tf = require('@tensorflow/tfjs-node');",
    "if (tf.getBackend() !== 'tensorflow') process.exit(3);",
    "console.log(tf.backend().binding.TF_Version);",
  ].join('')], { cwd: root, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  return probe.status === 0 ? probe.stdout.trim() : null;
}

/** True if a TCP connection to host:443 opens within the timeout. */
function reachable(host, timeoutMs = 4000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port: 443 });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Extracts libtensorflow and its C headers from the tensorflow-cpu wheel into the cache. */
function ensureWheelLibrary() {
  const target = path.join(cacheDir, `libtensorflow-${TF_WHEEL_VERSION}`);
  if (fs.existsSync(path.join(target, 'lib', 'libtensorflow_cc.so.2'))) return target;
  const wheelDir = path.join(cacheDir, 'wheels');
  fs.mkdirSync(wheelDir, { recursive: true });
  const findWheel = () => fs.readdirSync(wheelDir).find((f) => f.startsWith(`tensorflow_cpu-${TF_WHEEL_VERSION}-`) && f.endsWith('.whl'));
  if (!findWheel()) {
    say(`downloading the tensorflow-cpu ${TF_WHEEL_VERSION} wheel with pip (cached in ${wheelDir})`);
    const ok = run(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--retries', '0', '--timeout', '15',
      `tensorflow-cpu==${TF_WHEEL_VERSION}`, '-d', wheelDir], { env: { PIP_RETRIES: '0' } });
    if (!ok || !findWheel()) fail(`pip could not download tensorflow-cpu==${TF_WHEEL_VERSION}; it is needed for the TensorFlow C library`);
  }
  const wheel = path.join(wheelDir, findWheel());
  say(`extracting libtensorflow from ${path.basename(wheel)} into ${target}`);
  const staging = `${target}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  // zipfile instead of unzip: python is there (pip needed it), unzip may not be.
  const extract = `
import sys, zipfile, os, fnmatch, shutil
wheel, out = sys.argv[1], sys.argv[2]
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
headers = ['tensorflow/include/tensorflow/c/*.h', 'tensorflow/include/tensorflow/c/**/*.h',
           'tensorflow/include/tensorflow/core/platform/ctstring*.h',
           'tensorflow/include/tsl/platform/ctstring*.h', 'tensorflow/include/xla/tsl/c/*.h']
n = 0
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name in libs:
            dest = os.path.join(out, 'lib', os.path.basename(name))
        elif any(fnmatch.fnmatch(name, p) for p in headers):
            dest = os.path.join(out, 'include', name[len('tensorflow/include/'):])
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(name) as src, open(dest, 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        n += 1
if n < 10:
    sys.exit('only %d files matched in %s' % (n, wheel))
`;
  if (!run(python, ['-c', extract, wheel, staging])) fail(`could not extract libtensorflow from ${wheel}`);
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target);
  return target;
}

/** Lays the cached library out in tfjs-node's deps/ under the names its build and install expect. */
function layOutDeps(libraryDir) {
  const deps = path.join(TFJS_NODE_DIR, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
  fs.symlinkSync(path.join(libraryDir, 'include'), path.join(deps, 'include'));
  const cc = path.join(libraryDir, 'lib', 'libtensorflow_cc.so.2');
  const framework = path.join(libraryDir, 'lib', 'libtensorflow_framework.so.2');
  // libtensorflow.so.2.9.1 is the file whose presence makes install.js skip its download.
  for (const name of ['libtensorflow_cc.so.2', 'libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow.so.2.9.1']) {
    fs.symlinkSync(cc, path.join(deps, 'lib', name));
  }
  for (const name of ['libtensorflow_framework.so.2', 'libtensorflow_framework.so']) {
    fs.symlinkSync(framework, path.join(deps, 'lib', name));
  }
}

async function ensureNativeTensorflow(stamp) {
  const version = addonLoads();
  if (version) {
    log(`native TensorFlow ${version} addon already built`);
    if (stamp.tfjsNode !== version) {
      stamp.tfjsNode = version;
      writeStamp(stamp);
    }
    return;
  }
  const source = process.env.MEDST_TF_SOURCE ?? 'auto';
  if (!['auto', 'download', 'wheel'].includes(source)) fail(`MEDST_TF_SOURCE must be auto, download or wheel, not "${source}"`);
  let built = false;
  if (source === 'download' || (source === 'auto' && await reachable('storage.googleapis.com'))) {
    say("building @tensorflow/tfjs-node the package's own way (downloads libtensorflow 2.9.1)");
    built = run('npm', ['rebuild', '@tensorflow/tfjs-node', '--foreground-scripts'], { timeoutMs: 15 * 60_000 }) && addonLoads() !== null;
    if (!built && source === 'download') fail('the normal tfjs-node install failed (MEDST_TF_SOURCE=download)');
    if (!built) say('the normal tfjs-node install did not work; using the tensorflow-cpu wheel instead');
  }
  if (!built) {
    if (source === 'auto') say('libtensorflow download host unreachable: building the addon against the tensorflow-cpu wheel');
    const libraryDir = ensureWheelLibrary();
    layOutDeps(libraryDir);
    say('compiling the tfjs-node addon from source (about a minute)');
    const ok = run('npm', ['rebuild', '@tensorflow/tfjs-node', '--foreground-scripts'], {
      env: { npm_config_build_from_source: 'true' },
      timeoutMs: 15 * 60_000,
    });
    if (!ok) fail('compiling the tfjs-node addon failed (needs g++, make and python3 for node-gyp)');
  }
  const loaded = addonLoads();
  if (!loaded) fail('the tfjs-node addon was built but does not load; run `node -e "require(\'@tensorflow/tfjs-node\')"` to see why');
  say(`native TensorFlow backend ready (TensorFlow ${loaded})`);
  stamp.tfjsNode = loaded;
  writeStamp(stamp);
}

// ------------------------------------------------------- fused CPU kernels
// medst's own TensorFlow ops (lib/native/fused_ops.cc: GELU, LayerNorm and the
// AdamW step, one pass each), compiled against the libtensorflow that tfjs-node loads.
const FUSED_SOURCE = path.join(root, 'lib', 'native', 'fused_ops.cc');
const FUSED_TARGET = path.join(root, 'build', 'native', 'fused_ops.node');
// No -march: the hot loops carry their own AVX-512 / AVX2 / baseline clones.
// -fno-trapping-math and -fno-math-errno let the loops (clamp, truncation, sqrt) vectorise.
const FUSED_FLAGS = ['-O3', '-fno-trapping-math', '-fno-math-errno', '-std=c++17', '-shared', '-fPIC', '-Wall'];

/** The directory with Node's node_api.h (the addon's module entry point), or null. */
function nodeHeaderDir() {
  const candidates = [path.join(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h'))) ?? null;
}

/** Whether a built library loads next to tfjs-node and registers its ops (in a child process). */
function fusedKernelsLoad(file) {
  const probe = spawnSync(process.execPath, ['-e', [
    "require('@tensorflow/tfjs-node');",
    `const k = require(${JSON.stringify(file)});`,
    'if (!k.registered) process.exit(3);',
  ].join('')], { cwd: root, encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  return probe.status === 0;
}

/**
 * Builds build/native/fused_ops.node when its source, flags or libtensorflow
 * changed. A failed build is reported loudly and leaves medst on its composed
 * (slower) GELU, LayerNorm and AdamW; every backend report then says so.
 */
function ensureFusedKernels(stamp) {
  const libDir = path.join(TFJS_NODE_DIR, 'deps', 'lib');
  const framework = path.join(libDir, 'libtensorflow_framework.so.2');
  const warn = (why) => say(`WARNING: the fused CPU kernels were not built (${why}); GELU, LayerNorm and AdamW stay on their slower composed versions`);
  if (!fs.existsSync(framework)) return warn(`${framework} is missing`);
  const key = [fileHash(FUSED_SOURCE), FUSED_FLAGS.join(' '), fs.realpathSync(framework)].join('|');
  if (stamp.fusedKernels === key && fs.existsSync(FUSED_TARGET)) return;
  const headers = nodeHeaderDir();
  if (!headers) return warn("Node's node_api.h was not found next to the node binary or in /usr/include/node");
  say('compiling the fused CPU kernels (lib/native/fused_ops.cc, a few seconds)');
  fs.mkdirSync(path.dirname(FUSED_TARGET), { recursive: true });
  // Built and checked under a temporary name: a library that does not load never takes the real one's place.
  const tmp = path.join(path.dirname(FUSED_TARGET), `fused_ops.tmp-${process.pid}.node`);
  const cxx = process.env.CXX ?? 'g++';
  const ok = run(cxx, [...FUSED_FLAGS, '-I', headers, FUSED_SOURCE, '-o', tmp, '-L', libDir, '-l:libtensorflow_framework.so.2', `-Wl,-rpath,${libDir}`]);
  if (!ok) {
    fs.rmSync(tmp, { force: true });
    return warn(`${cxx} failed`);
  }
  if (!fusedKernelsLoad(tmp)) {
    fs.rmSync(tmp, { force: true });
    return warn('the library was built but does not load next to tfjs-node');
  }
  fs.renameSync(tmp, FUSED_TARGET);
  stamp.fusedKernels = key;
  writeStamp(stamp);
}

function ensureGpuPackage() {
  if (fs.existsSync(path.join(root, 'node_modules', '@tensorflow', 'tfjs-node-gpu'))) return;
  say('installing @tensorflow/tfjs-node-gpu (its install downloads a CUDA build of libtensorflow)');
  if (!run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '@tensorflow/tfjs-node-gpu@4.22.0'], { loud: true })) {
    fail('installing @tensorflow/tfjs-node-gpu failed; see environment.md, "GPU"');
  }
}

// --------------------------------------------------------- Python / Jupyter
function venvBin(name) {
  return path.join(root, '.venv', 'bin', name);
}

function ensurePythonSide(stamp) {
  const reqHash = fileHash(path.join(root, 'requirements-jupyter.txt'));
  if (!fs.existsSync(venvBin('python')) || stamp.python !== reqHash) {
    say('creating .venv with JupyterLab, nbclient, nbconvert and plotly (requirements-jupyter.txt)');
    if (!fs.existsSync(venvBin('python')) && !run(python, ['-m', 'venv', path.join(root, '.venv')])) {
      fail(`${python} -m venv .venv failed (on Debian: apt-get install python3-venv)`);
    }
    const ok = run(venvBin('python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '0', '--timeout', '15',
      '-r', path.join(root, 'requirements-jupyter.txt')], { env: { PIP_RETRIES: '0' } });
    if (!ok) fail('pip could not install requirements-jupyter.txt into .venv');
    stamp.python = reqHash;
    writeStamp(stamp);
  }
  // The project's package.json says "type": "module"; Node would apply that to the
  // JavaScript that Python packages ship inside .venv (JupyterLab's yarn), so fence it off.
  const fence = path.join(root, '.venv', 'package.json');
  if (!fs.existsSync(fence)) fs.writeFileSync(fence, '{ "type": "commonjs" }\n');
  // The kernelspec names absolute paths, so rewrite it whenever the checkout moves.
  const kernelDir = path.join(root, '.venv', 'share', 'jupyter', 'kernels', 'medst');
  const spec = {
    argv: [process.execPath, path.join(root, 'scripts', 'kernel.cjs'), '{connection_file}'],
    display_name: 'TypeScript (medst)',
    language: 'typescript',
    env: { TF_CPP_MIN_LOG_LEVEL: '2' },
    metadata: { medst_root: root },
  };
  const specPath = path.join(kernelDir, 'kernel.json');
  const text = JSON.stringify(spec, null, 2);
  if (!fs.existsSync(specPath) || fs.readFileSync(specPath, 'utf8') !== text) {
    fs.mkdirSync(kernelDir, { recursive: true });
    fs.writeFileSync(specPath, text);
    log(`registered the medst tslab kernel in ${kernelDir}`);
  }
}

/**
 * Notebooks stay clean in git: .gitattributes sends notebooks/*.ipynb through the
 * `medst-strip` clean filter (scripts/strip_notebook.py drops outputs), which a
 * clone has to register in its own .git/config.
 */
function ensureNotebookFilter() {
  if (!fs.existsSync(path.join(root, '.git'))) return; // not a git checkout (an unpacked archive)
  const command = `"${venvBin('python')}" scripts/strip_notebook.py`;
  const current = spawnSync('git', ['config', '--get', 'filter.medst-strip.clean'], { cwd: root, encoding: 'utf8' });
  if (current.status === 0 && current.stdout.trim() === command) return;
  if (spawnSync('git', ['config', 'filter.medst-strip.clean', command], { cwd: root }).status !== 0) fail('could not register the notebook clean filter (git config filter.medst-strip.clean)');
  log('registered the notebook output filter (git config filter.medst-strip.clean)');
}

// -------------------------------------------------------------------- main
checkNode();
const stamp = readStamp();
ensureNpmPackages(stamp);
await ensureNativeTensorflow(stamp);
ensureFusedKernels(stamp);
if (wantGpu) ensureGpuPackage();
if (wantPython) {
  ensurePythonSide(stamp);
  ensureNotebookFilter();
}
log('setup complete');
