/** vocab.txt reading and writing: one token per line, id = line index. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Parses vocab.txt text. A final newline ends the last line rather than
 * starting an empty token; a trailing '\r' (CRLF files) is dropped, as the
 * Rust WordPiece loader does.
 * @param text file contents
 * @param source name used in errors (usually the path)
 * @returns tokens, index = id
 */
export function parseVocab(text: string, source: string): string[] {
  if (text.length === 0) throw new Error(`vocab file ${source} is empty`);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const tokens = lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (tokens.length === 0 || tokens.every((t) => t.length === 0)) {
    throw new Error(`vocab file ${source} is empty`);
  }
  return tokens;
}

/**
 * Reads a vocab.txt file.
 * @throws Error naming the path when the file is missing, unreadable or empty.
 */
export async function readVocabFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
    throw new Error(`vocab file ${path} ${why}`, { cause: err });
  }
  return parseVocab(text, path);
}

/**
 * Writes tokens as vocab.txt atomically: a temporary file in the same folder
 * is written and then renamed over `path`, so readers never see half a file.
 * Creates the parent folder if needed.
 */
export async function writeVocabFile(path: string, tokens: readonly string[]): Promise<void> {
  if (tokens.length === 0) throw new Error(`writeVocabFile(${path}): no tokens to write`);
  tokens.forEach((t, i) => {
    if (/[\r\n]/.test(t)) throw new Error(`writeVocabFile(${path}): token ${i} contains a line break`);
  });
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, tokens.join('\n') + '\n', 'utf8');
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
