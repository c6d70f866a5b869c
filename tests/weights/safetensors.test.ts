import test from 'ava';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { nativeBackend } from '../helpers/tf.ts';
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from '../../lib/weights/safetensors.ts';

test.before(async () => {
  await nativeBackend();
});

/** Builds a safetensors buffer by hand from raw little-endian payloads. */
function handMade(entries: Array<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.byteLength] };
    offset += e.bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let at = 8 + json.byteLength;
  for (const e of entries) {
    out.set(e.bytes, at);
    at += e.bytes.byteLength;
  }
  return out;
}

test('F32/I32 round trip through a file, with metadata and an 8-byte aligned header', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medst-st-'));
  const file = path.join(dir, 'a.safetensors');
  const tensors = new Map([
    ['b.weight', { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 1e-8, 0, -0.25) }],
    ['a.count', { shape: [], data: Float32Array.of(7) }],
    ['ids', { shape: [3], data: Int32Array.of(-1, 0, 2147483647) }],
  ]);
  await writeSafetensors(file, tensors, { format: 'pt' });
  t.deepEqual(await readdir(dir), ['a.safetensors']); // no temp file left behind
  const bytes = new Uint8Array(await readFile(file));
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  t.is(headerLength % 8, 0);
  const back = await readSafetensors(file);
  t.deepEqual(back.metadata, { format: 'pt' });
  t.deepEqual([...back.tensors.keys()], ['b.weight', 'a.count', 'ids']);
  for (const [name, v] of tensors) {
    t.deepEqual(back.tensors.get(name)!.shape, v.shape);
    t.deepEqual(Array.from(back.tensors.get(name)!.data), Array.from(v.data));
  }
  t.is(back.tensors.get('ids')!.dtype, 'I32');
  await rm(dir, { recursive: true });
});

test('reads F16, BF16, F64 and I64 as float32 / int32', (t) => {
  const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]).buffer); // 1, -2, ~0.33325, 2^-24, inf
  const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc0a0]).buffer); // 1, -5
  const f64 = new Uint8Array(new Float64Array([0.1, -3]).buffer);
  const i64 = new Uint8Array(new BigInt64Array([5n, -6n]).buffer);
  const parsed = parseSafetensors(
    handMade([
      { name: 'h', dtype: 'F16', shape: [5], bytes: f16 },
      { name: 'bf', dtype: 'BF16', shape: [2], bytes: bf16 },
      { name: 'd', dtype: 'F64', shape: [1, 2], bytes: f64 },
      { name: 'l', dtype: 'I64', shape: [2], bytes: i64 },
    ]),
  );
  const h = parsed.tensors.get('h')!.data;
  t.true(h instanceof Float32Array);
  t.deepEqual(Array.from(h).slice(0, 2), [1, -2]);
  t.true(Math.abs((h[2] as number) - 0.33325) < 1e-4);
  t.is(h[3], 2 ** -24);
  t.is(h[4], Infinity);
  t.deepEqual(Array.from(parsed.tensors.get('bf')!.data), [1, -5]);
  t.deepEqual(Array.from(parsed.tensors.get('d')!.data), [Math.fround(0.1), -3]);
  t.deepEqual(parsed.tensors.get('d')!.shape, [1, 2]);
  t.deepEqual(Array.from(parsed.tensors.get('l')!.data), [5, -6]);
});

test('malformed files are rejected with the reason', (t) => {
  t.throws(() => parseSafetensors(new Uint8Array(4)), { message: /too short/ });
  const bad = serializeSafetensors({ x: { shape: [2], data: Float32Array.of(1, 2) } });
  t.throws(() => parseSafetensors(bad.subarray(0, bad.byteLength - 4), 'cut.safetensors'), { message: /cut\.safetensors: "x" \[2\] F32 needs 8 bytes/ });
  const header = new Uint8Array(16);
  new DataView(header.buffer).setBigUint64(0, 1000n, true);
  t.throws(() => parseSafetensors(header), { message: /header length 1000 exceeds/ });
  t.throws(() => parseSafetensors(handMade([{ name: 'q', dtype: 'C64', shape: [1], bytes: new Uint8Array(8) }])), { message: /unsupported dtype C64 of "q"/ });
  t.throws(() => serializeSafetensors({ y: { shape: [3], data: Float32Array.of(1) } }), { message: /"y" has 1 values for shape \[3\]/ });
});
