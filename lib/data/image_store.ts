/**
 * A compact store of preprocessed S×S 8-bit images, so training reads pixels
 * without decoding JPEGs again. A store is a directory of three files:
 *
 *   images.u8   64-byte header (magic `MEDSTIMG`, version, S, channels = 1,
 *               header size; little endian) followed by fixed-size records of
 *               S·S bytes; record r starts at 64 + r·S·S.
 *   ids.jsonl   one JSON string per line: the image id of each record, in order.
 *   store.json  the committed state: `{format, version, size, count, idsBytes}`.
 *
 * Writes are append-only and resumable. `append` writes a record's pixels at
 * once; `commit` fsyncs them, appends their ids and then replaces store.json
 * atomically (temporary file + fsync + rename). Only what store.json counts
 * exists: a writer that dies mid-way leaves a consistent store, and reopening
 * it for writing truncates records and ids beyond the committed count, so the
 * caller redoes those (ask `has(id)`).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataError } from './errors.ts';
import { unitScaleTable } from './augment.ts';

/** The file names inside a store directory. */
export const IMAGE_STORE_FILES = { data: 'images.u8', ids: 'ids.jsonl', state: 'store.json' } as const;

const MAGIC = 'MEDSTIMG';
const FORMAT = 'medst-image-store';
const VERSION = 1;
const HEADER_BYTES = 64;

/** The committed state, as stored in store.json. */
interface StoreState {
  format: typeof FORMAT;
  version: number;
  /** S: records are S×S bytes. */
  size: number;
  /** Committed records. */
  count: number;
  /** Bytes of ids.jsonl that belong to committed records. */
  idsBytes: number;
}

/** Options of `ImageStoreWriter.open`. */
export interface ImageStoreWriterOptions {
  /** S. Required to create a store; when opening an existing one it must match. */
  size?: number;
  /** Commit automatically after this many appended records (default 512; 0 = only explicit commits). */
  commitEvery?: number;
}

/**
 * Appends S×S records to a store, creating it when the directory holds none.
 *
 * @example
 * const writer = ImageStoreWriter.open('out/images-256', { size: 256 });
 * for (const { id, path } of images) if (!writer.has(id)) writer.append(id, await preprocessImage(path, 256));
 * writer.close(); // commits
 */
export class ImageStoreWriter {
  readonly dir: string;
  readonly size: number;
  readonly recordBytes: number;
  private readonly commitEvery: number;
  private readonly dataFd: number;
  private readonly idsFd: number;
  private state: StoreState;
  private readonly committedIds = new Set<string>();
  private pendingIds: string[] = [];
  private readonly pendingSet = new Set<string>();
  private closed = false;

  private constructor(dir: string, state: StoreState, dataFd: number, idsFd: number, ids: string[], commitEvery: number) {
    this.dir = dir;
    this.size = state.size;
    this.recordBytes = state.size * state.size;
    this.state = state;
    this.dataFd = dataFd;
    this.idsFd = idsFd;
    this.commitEvery = commitEvery;
    for (const id of ids) this.committedIds.add(id);
  }

  /**
   * Open `dir` for appending: create a new store (needs `options.size`), or
   * resume an existing one, dropping records that were written but never committed.
   */
  static open(dir: string, options: ImageStoreWriterOptions = {}): ImageStoreWriter {
    const commitEvery = options.commitEvery ?? 512;
    const statePath = join(dir, IMAGE_STORE_FILES.state);
    const dataPath = join(dir, IMAGE_STORE_FILES.data);
    const idsPath = join(dir, IMAGE_STORE_FILES.ids);
    let state: StoreState;
    if (!existsSync(statePath)) {
      if (options.size === undefined) throw new DataError('bad-file', 'no image store here; pass `size` to create one', { file: dir });
      checkSize(options.size, dir);
      if (existsSync(dataPath)) throw new DataError('bad-file', `${IMAGE_STORE_FILES.data} exists without ${IMAGE_STORE_FILES.state}; not an image store (remove the directory to start over)`, { file: dir });
      mkdirSync(dir, { recursive: true });
      // Data header and empty id list first, then the state that makes them a store.
      writeFileSync(dataPath, encodeHeader(options.size));
      writeFileSync(idsPath, '');
      state = { format: FORMAT, version: VERSION, size: options.size, count: 0, idsBytes: 0 };
      writeStateAtomic(statePath, state);
    } else {
      state = readState(statePath);
      if (options.size !== undefined && options.size !== state.size) {
        throw new DataError('bad-value', `wrong size: the store holds ${state.size}×${state.size} images, ${options.size}×${options.size} were asked for`, { file: statePath });
      }
    }
    const dataFd = openSync(dataPath, 'r+');
    const idsFd = openSync(idsPath, 'r+');
    try {
      checkHeader(dataFd, dataPath, state);
      const ids = readIds(idsFd, idsPath, state);
      // Resume: whatever lies beyond the committed state was never committed.
      ftruncateSync(dataFd, HEADER_BYTES + state.count * state.size * state.size);
      ftruncateSync(idsFd, state.idsBytes);
      return new ImageStoreWriter(dir, state, dataFd, idsFd, ids, commitEvery);
    } catch (error) {
      closeSync(dataFd);
      closeSync(idsFd);
      throw error;
    }
  }

  /** Committed records. */
  get count(): number {
    return this.state.count;
  }

  /** Records appended since the last commit. */
  get pending(): number {
    return this.pendingIds.length;
  }

  /** True when `id` is committed or pending in this writer. */
  has(id: string): boolean {
    return this.committedIds.has(id) || this.pendingSet.has(id);
  }

  /**
   * Write one record; it becomes visible to readers at the next commit.
   * @param pixels Uint8Array [S×S].
   * @returns The record number.
   */
  append(id: string, pixels: Uint8Array): number {
    this.checkOpen();
    if (pixels.length !== this.recordBytes) {
      throw new DataError('bad-value', `image "${id}" has ${pixels.length} bytes, the store's records are ${this.size}×${this.size} = ${this.recordBytes}`, { file: this.dir });
    }
    if (this.has(id)) throw new DataError('bad-value', `duplicate image id "${id}"`, { file: this.dir });
    const record = this.state.count + this.pendingIds.length;
    writeSync(this.dataFd, pixels, 0, pixels.length, HEADER_BYTES + record * this.recordBytes);
    this.pendingIds.push(id);
    this.pendingSet.add(id);
    if (this.commitEvery > 0 && this.pendingIds.length >= this.commitEvery) this.commit();
    return record;
  }

  /** Make the pending records durable and visible: fsync data, append ids, replace store.json. */
  commit(): void {
    this.checkOpen();
    if (this.pendingIds.length === 0) return;
    fsyncSync(this.dataFd);
    const lines = Buffer.from(this.pendingIds.map((id) => JSON.stringify(id) + '\n').join(''), 'utf8');
    writeSync(this.idsFd, lines, 0, lines.length, this.state.idsBytes);
    fsyncSync(this.idsFd);
    const next: StoreState = { ...this.state, count: this.state.count + this.pendingIds.length, idsBytes: this.state.idsBytes + lines.length };
    writeStateAtomic(join(this.dir, IMAGE_STORE_FILES.state), next);
    this.state = next;
    for (const id of this.pendingIds) this.committedIds.add(id);
    this.pendingIds = [];
    this.pendingSet.clear();
  }

  /** Commit and close the files. */
  close(): void {
    if (this.closed) return;
    this.commit();
    this.closeFiles();
  }

  /**
   * Close without committing, leaving the store as a crash would: pending
   * records are on disk but not counted, and are dropped at the next open.
   */
  abandon(): void {
    if (!this.closed) this.closeFiles();
  }

  private closeFiles(): void {
    this.closed = true;
    closeSync(this.dataFd);
    closeSync(this.idsFd);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`image store ${this.dir} is closed`);
  }
}

/** Options of `ImageStore.open`. */
export interface ImageStoreReadOptions {
  /**
   * Read the whole data file into memory at open (fastest for stores that fit
   * comfortably in RAM); otherwise each record is read with `readSync` at its
   * offset. `auto` (default) preloads stores up to `preloadLimitBytes`.
   */
  preload?: boolean | 'auto';
  /** Size limit for `preload: 'auto'`, default 1 GiB. */
  preloadLimitBytes?: number;
}

/**
 * Random-access reads of a committed store. Records appended by a writer
 * after the reader opened are not seen.
 *
 * @example
 * const store = ImageStore.open('out/images-256');
 * const batch = new Uint8Array(32 * store.recordBytes);
 * store.readBatch([4, 17, 2, ...], batch); // [32×S×S]
 * store.close();
 */
export class ImageStore {
  readonly dir: string;
  readonly size: number;
  readonly count: number;
  readonly recordBytes: number;
  /** Image ids in record order. */
  readonly ids: readonly string[];
  /** True when the records were read into memory at open. */
  readonly preloaded: boolean;
  private readonly index: Map<string, number>;
  private readonly dataPath: string;
  private fd: number | null;
  private readonly memory: Buffer | null;

  private constructor(dir: string, state: StoreState, ids: string[], fd: number | null, memory: Buffer | null) {
    this.dir = dir;
    this.size = state.size;
    this.count = state.count;
    this.recordBytes = state.size * state.size;
    this.ids = ids;
    this.index = new Map(ids.map((id, record) => [id, record]));
    this.dataPath = join(dir, IMAGE_STORE_FILES.data);
    this.fd = fd;
    this.memory = memory;
    this.preloaded = memory !== null;
  }

  /** Open a store for reading; checks the header, the state and the file lengths. */
  static open(dir: string, options: ImageStoreReadOptions = {}): ImageStore {
    const statePath = join(dir, IMAGE_STORE_FILES.state);
    if (!existsSync(statePath)) throw new DataError('bad-file', `not an image store (no ${IMAGE_STORE_FILES.state})`, { file: dir });
    const state = readState(statePath);
    const dataPath = join(dir, IMAGE_STORE_FILES.data);
    const idsPath = join(dir, IMAGE_STORE_FILES.ids);
    const fd = openSync(dataPath, 'r');
    try {
      checkHeader(fd, dataPath, state);
      const idsFd = openSync(idsPath, 'r');
      let ids: string[];
      try {
        ids = readIds(idsFd, idsPath, state);
      } finally {
        closeSync(idsFd);
      }
      const bytes = state.count * state.size * state.size;
      const limit = options.preloadLimitBytes ?? 2 ** 30;
      const preload = options.preload === true || ((options.preload ?? 'auto') === 'auto' && bytes <= limit);
      if (!preload) return new ImageStore(dir, state, ids, fd, null);
      const memory = Buffer.allocUnsafe(bytes);
      readFully(fd, memory, 0, bytes, HEADER_BYTES, dataPath);
      closeSync(fd);
      return new ImageStore(dir, state, ids, null, memory);
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        // already closed after preloading
      }
      throw error;
    }
  }

  /** True when `id` is a committed record. */
  has(id: string): boolean {
    return this.index.has(id);
  }

  /** The record number of `id`; throws a DataError naming the store for an unknown id. */
  recordOf(id: string): number {
    const record = this.index.get(id);
    if (record === undefined) throw new DataError('bad-value', `unknown image id "${id}"`, { file: join(this.dir, IMAGE_STORE_FILES.ids) });
    return record;
  }

  /**
   * One record (by number or id) into `out` at `offset` (default: a new array).
   * @returns Uint8Array [S×S] (a view of `out` when given).
   */
  read(record: number | string, out?: Uint8Array, offset = 0): Uint8Array {
    const r = typeof record === 'string' ? this.recordOf(record) : record;
    this.checkRecord(r);
    const target = out ?? new Uint8Array(this.recordBytes);
    if (target.length < offset + this.recordBytes) throw new Error(`read: output holds ${target.length} bytes, need ${offset + this.recordBytes}`);
    this.copyRecords(r, 1, target, offset);
    return target.subarray(offset, offset + this.recordBytes);
  }

  /**
   * Records `records[k]` into `out[k·S·S ...]`; runs of consecutive records are
   * read in one call.
   * @param out Uint8Array [N×S×S] or larger, preallocated by the caller.
   */
  readBatch(records: ArrayLike<number>, out: Uint8Array): Uint8Array {
    const n = records.length;
    if (out.length < n * this.recordBytes) throw new Error(`readBatch: output holds ${out.length} bytes, need ${n}×${this.recordBytes}`);
    for (let k = 0; k < n; ) {
      const first = records[k]!;
      this.checkRecord(first);
      let run = 1;
      while (k + run < n && records[k + run] === first + run) run++;
      this.checkRecord(first + run - 1);
      this.copyRecords(first, run, out, k * this.recordBytes);
      k += run;
    }
    return out;
  }

  /**
   * Records as float32 scaled to [−1, 1] (`unitScaleTable` of augment.ts), for
   * evaluation at full size.
   * @param out Float32Array [N×S×S] or larger; `scratch` (Uint8Array [N×S×S]) avoids an allocation.
   */
  readBatchUnit(records: ArrayLike<number>, out: Float32Array, scratch?: Uint8Array): Float32Array {
    const bytes = records.length * this.recordBytes;
    if (out.length < bytes) throw new Error(`readBatchUnit: output holds ${out.length} values, need ${bytes}`);
    const raw = scratch && scratch.length >= bytes ? scratch : new Uint8Array(bytes);
    this.readBatch(records, raw);
    const table = unitScaleTable();
    for (let i = 0; i < bytes; i++) out[i] = table[raw[i]!]!;
    return out;
  }

  /** Release the file descriptor (and the in-memory copy). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private copyRecords(first: number, run: number, out: Uint8Array, offset: number): void {
    const bytes = run * this.recordBytes;
    if (this.memory) {
      const from = first * this.recordBytes;
      out.set(this.memory.subarray(from, from + bytes), offset);
      return;
    }
    if (this.fd === null) throw new Error(`image store ${this.dir} is closed`);
    readFully(this.fd, out, offset, bytes, HEADER_BYTES + first * this.recordBytes, this.dataPath);
  }

  private checkRecord(record: number): void {
    if (!Number.isInteger(record) || record < 0 || record >= this.count) {
      throw new DataError('bad-value', `record ${record} out of range [0, ${this.count})`, { file: this.dataPath });
    }
  }
}

function checkSize(size: number, file: string): void {
  if (!Number.isInteger(size) || size < 1 || size > 16384) throw new DataError('bad-value', `size must be an integer in [1, 16384], got ${size}`, { file });
}

function encodeHeader(size: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(size, 12);
  header.writeUInt32LE(1, 16); // channels
  header.writeUInt32LE(HEADER_BYTES, 20);
  return header;
}

function checkHeader(fd: number, path: string, state: StoreState): void {
  const header = Buffer.alloc(HEADER_BYTES);
  const got = readSync(fd, header, 0, HEADER_BYTES, 0);
  if (got === 0 && state.count === 0) {
    // Created but the header never reached the disk: nothing is lost, rewrite it.
    writeSync(fd, encodeHeader(state.size), 0, HEADER_BYTES, 0);
    return;
  }
  if (got < HEADER_BYTES || header.toString('latin1', 0, 8) !== MAGIC) throw new DataError('bad-file', `corrupt header: not a medst image store data file (magic ${JSON.stringify(header.toString('latin1', 0, Math.min(got, 8)))})`, { file: path });
  const version = header.readUInt32LE(8);
  if (version !== VERSION) throw new DataError('unsupported', `image store version ${version}, this medst reads version ${VERSION}`, { file: path });
  const size = header.readUInt32LE(12);
  const channels = header.readUInt32LE(16);
  const headerBytes = header.readUInt32LE(20);
  if (channels !== 1 || headerBytes !== HEADER_BYTES) throw new DataError('bad-file', `corrupt header: channels ${channels}, header size ${headerBytes}`, { file: path });
  if (size !== state.size) throw new DataError('bad-file', `corrupt store: the header says ${size}×${size}, ${IMAGE_STORE_FILES.state} says ${state.size}×${state.size}`, { file: path });
  const length = fstatSync(fd).size;
  const needed = HEADER_BYTES + state.count * size * size;
  if (length < needed) {
    throw new DataError('bad-file', `truncated: holds ${Math.floor((length - HEADER_BYTES) / (size * size))} records, ${IMAGE_STORE_FILES.state} commits ${state.count}`, { file: path });
  }
}

function readState(path: string): StoreState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DataError('bad-file', `corrupt store state: ${(error as Error).message}`, { file: path });
  }
  const state = parsed as Partial<StoreState>;
  if (state === null || typeof state !== 'object' || state.format !== FORMAT) throw new DataError('bad-file', `corrupt store state: format is not "${FORMAT}"`, { file: path });
  if (state.version !== VERSION) throw new DataError('unsupported', `image store version ${state.version}, this medst reads version ${VERSION}`, { file: path });
  for (const key of ['size', 'count', 'idsBytes'] as const) {
    const value = state[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new DataError('bad-file', `corrupt store state: "${key}" is ${JSON.stringify(value)}`, { file: path });
  }
  checkSize(state.size!, path);
  return state as StoreState;
}

function readIds(fd: number, path: string, state: StoreState): string[] {
  if (fstatSync(fd).size < state.idsBytes) throw new DataError('bad-file', `truncated: shorter than the ${state.idsBytes} committed bytes`, { file: path });
  const bytes = Buffer.alloc(state.idsBytes);
  readFully(fd, bytes, 0, state.idsBytes, 0, path);
  const lines = bytes.toString('utf8').split('\n');
  lines.pop(); // the committed text ends with a newline
  if (lines.length !== state.count) throw new DataError('bad-file', `corrupt index: ${lines.length} ids for ${state.count} committed records`, { file: path });
  return lines.map((line, k) => {
    try {
      const id = JSON.parse(line);
      if (typeof id === 'string') return id;
    } catch {
      // reported below
    }
    throw new DataError('bad-file', `corrupt index: not a JSON string: ${line.slice(0, 80)}`, { file: path, line: k + 1 });
  });
}

function writeStateAtomic(path: string, state: StoreState): void {
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w');
  try {
    const text = Buffer.from(JSON.stringify(state) + '\n', 'utf8');
    writeSync(fd, text, 0, text.length, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  // Make the rename itself durable (best effort: not every platform can fsync a directory).
  try {
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch {
    // ignore
  }
}

function readFully(fd: number, out: Uint8Array, offset: number, length: number, position: number, path: string): void {
  let done = 0;
  while (done < length) {
    // readSync takes at most 2 GiB per call.
    const got = readSync(fd, out, offset + done, Math.min(length - done, 2 ** 30), position + done);
    if (got === 0) throw new DataError('bad-file', `unexpected end of file at byte ${position + done}`, { file: path });
    done += got;
  }
}
