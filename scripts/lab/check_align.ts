// Lab: are batch rows' images the images of batch.records? (correlation with the stored image)
import { initBackend } from '../../lib/backend.ts';
import { BatchLoader } from '../../lib/data/batches.ts';
import { readManifest, recordsOfSplit } from '../../lib/data/manifest.ts';
import { ImageStore } from '../../lib/data/image_store.ts';
import { createTokenizer } from '../../lib/data/tokenizer/index.ts';
await initBackend({ log: null });
const prepared = '/tmp/exp/p77';
const { records } = readManifest(prepared);
const train = recordsOfSplit(records, 'train');
const tok = await createTokenizer({ kind: 'corpus', corpus: train.slice(0, 100).map((r) => r.report.text), build: { vocabSize: 200 } });
const loader = new BatchLoader(prepared + '/images-72', train, tok, { rowsPerBatch: 32, dropLast: true, chunkLength: 2, crop: 64, augment: true, shuffle: true, seed: 1, maxTokens: 16 });
const store = ImageStore.open(prepared + '/images-72');
const corr = (a: Float32Array, b: Uint8Array) => { // centre 64 of 72 vs crop
  let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0; const n = 64 * 64;
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) { const u = a[y * 64 + x]!; const v = b[(y + 4) * 72 + x + 4]!; sa += u; sb += v; sab += u * v; saa += u * u; sbb += v * v; }
  return (sab - sa * sb / n) / Math.sqrt((saa - sa * sa / n) * (sbb - sb * sb / n));
};
let k = 0;
for await (const b of loader.epoch(2, 0)) {
  const own: number[] = []; const other: number[] = [];
  for (let r = 0; r < b.rows; r++) {
    const img = b.frontal.subarray(r * 4096, (r + 1) * 4096);
    own.push(corr(img, store.read(b.records[r]!.id)));
    other.push(corr(img, store.read(b.records[(r + 1) % b.rows]!.id)));
  }
  console.log('own', (own.reduce((a, x) => a + x) / own.length).toFixed(3), 'other', (other.reduce((a, x) => a + x) / other.length).toFixed(3), 'labels', b.records.slice(0, 4).map((r) => r.report.text.slice(0, 40)));
  if (++k >= 3) break;
}
await loader.close();
