/**
 * safetensors reader and writer (https://github.com/huggingface/safetensors):
 * 8-byte little-endian header length N, then N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}}`
 * (offsets relative to the byte after the header), then the raw little-endian data.
 *
 * Read: F32, F16, BF16, F64 → Float32Array; I32, I64 (range-checked), I16,
 * I8, U8, BOOL → Int32Array. Write: F32 (and I32). Writes are atomic
 * (temporary file in the same folder, then rename).
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic_file.ts';

/** A host tensor: values in row-major order plus its shape. */
export interface HostTensor {
  shape: number[];
  /** Float data is Float32Array, integer/bool data Int32Array. */
  data: Float32Array | Int32Array;
  /** dtype as stored in the file (e.g. `F16`); on write, F32 or I32 follows `data`. */
  dtype?: string;
}

/** Contents of a safetensors file. */
export interface SafetensorsFile {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decode(dtype: string, bytes: Uint8Array, count: number, name: string): Float32Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      if (little) return new Float32Array(bytes.slice().buffer, 0, count); // aligned copy
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const u32 = new Uint32Array(count);
      for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      return new Float32Array(u32.buffer);
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) throw new Error(`safetensors: I64 value ${v} of "${name}" does not fit int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32':
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
    case 'I16':
      return Int32Array.from({ length: count }, (_, i) => view.getInt16(i * 2, true));
    case 'I8':
      return Int32Array.from({ length: count }, (_, i) => view.getInt8(i));
    case 'U8':
    case 'BOOL':
      return Int32Array.from({ length: count }, (_, i) => view.getUint8(i));
    default:
      throw new Error(`safetensors: unsupported dtype ${dtype} of "${name}"`);
  }
}

/**
 * Parses a safetensors buffer.
 * @param source name for error messages (e.g. the path)
 */
export function parseSafetensors(buffer: Uint8Array, source = 'buffer'): SafetensorsFile {
  if (buffer.byteLength < 8) throw new Error(`safetensors ${source}: file too short (${buffer.byteLength} bytes)`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > buffer.byteLength - 8) throw new Error(`safetensors ${source}: header length ${headerLength} exceeds the file size ${buffer.byteLength}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buffer.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`safetensors ${source}: header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = buffer.byteLength - dataStart;
  const tensors = new Map<string, HostTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const width = BYTES[dtype];
    if (width === undefined) throw new Error(`safetensors ${source}: unsupported dtype ${dtype} of "${name}"`);
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) throw new Error(`safetensors ${source}: malformed entry "${name}"`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = offsets;
    if (end - begin !== count * width || begin < 0 || end > dataLength) {
      throw new Error(`safetensors ${source}: "${name}" [${shape}] ${dtype} needs ${count * width} bytes, offsets [${begin}, ${end}] (data ${dataLength} bytes)`);
    }
    tensors.set(name, { shape: [...shape], data: decode(dtype, buffer.subarray(dataStart + begin, dataStart + end), count, name), dtype });
  }
  return { tensors, metadata };
}

/**
 * Serialises tensors (F32 for Float32Array, I32 for Int32Array), in the
 * map's order, header padded with spaces to a multiple of 8 bytes.
 */
export function serializeSafetensors(tensors: Map<string, HostTensor> | Record<string, HostTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: "${name}" has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: t.data instanceof Float32Array ? 'F32' : 'I32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const [, t] of entries) {
    if (!little) throw new Error('safetensors: big-endian hosts are not supported');
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/** Reads a .safetensors file. */
export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  return parseSafetensors(new Uint8Array(await readFile(file)), file);
}

/** Writes a .safetensors file atomically. */
export async function writeSafetensors(file: string, tensors: Map<string, HostTensor> | Record<string, HostTensor>, metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}
