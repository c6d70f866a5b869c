/** Paths and helpers shared by the lib/data tests (not a test file itself). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A read-only real sample file under ../shared/fixtures/real (never copied into the repo). */
export function realFixture(name: string): string {
  return fileURLToPath(new URL(`../../../shared/fixtures/real/${name}`, import.meta.url));
}

/** A file under tests/fixtures/readers (written by tests/fixtures/make_reader_refs.py). */
export function readerFixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/readers/${name}`, import.meta.url));
}

/** The pandas / pydicom / Pillow reference values. */
export const referenceValues = JSON.parse(readFileSync(readerFixture('reader_refs.json'), 'utf8'));

/** Write `text` to a fresh temporary file and return its path. */
export function writeTemporaryFile(name: string, text: string | Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'medst-data-')), name);
  writeFileSync(path, text);
  return path;
}
