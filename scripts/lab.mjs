#!/usr/bin/env node
// `npm run lab`: JupyterLab on localhost with the medst TypeScript kernel as the default.
// Runs from the project root so the file browser shows notebooks/ and the kernel
// (scripts/kernel.cjs) can import the built library from ./dist.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jupyter = path.join(root, '.venv', 'bin', 'jupyter');
if (!fs.existsSync(jupyter)) {
  console.error('[lab] .venv/bin/jupyter is missing: run `npm run setup` first');
  process.exit(1);
}
const port = process.env.MEDST_LAB_PORT ?? '8888';
const child = spawn(jupyter, [
  'lab',
  '--no-browser',
  '--ip=127.0.0.1',
  `--port=${port}`,
  `--ServerApp.root_dir=${root}`,
  '--MappingKernelManager.default_kernel_name=medst',
  // Only the medst kernel: .venv's ipykernel would otherwise be offered (and preselected in consoles).
  '--KernelSpecManager.allowed_kernelspecs=medst',
  '--KernelSpecManager.ensure_native_kernel=False',
  // Jupyter refuses to run as root without this; containers often are root.
  ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ...process.argv.slice(2),
], { cwd: root, stdio: ['inherit', 'inherit', 'pipe'] });

let announced = false;
child.stderr.on('data', (chunk) => {
  const text = chunk.toString();
  process.stderr.write(text);
  // Jupyter logs its URL among many lines; repeat it once where it is easy to find.
  const url = text.match(/http:\/\/127\.0\.0\.1:\d+\/lab\?token=\w+/);
  if (url && !announced) {
    announced = true;
    console.log(`\n[lab] JupyterLab with the medst kernel: ${url[0]}\n[lab] notebooks are in notebooks/; Ctrl-C stops the server.\n`);
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
