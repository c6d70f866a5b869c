/**
 * Contact sheet of a generated cohort, for looking at what the renderer makes:
 * rows 1–2 follow one patient over time (frontal above, lateral below, with the
 * main true severities as captions); further rows show frontal+lateral pairs of
 * other patients.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { FILES } from './writers.ts';

interface GtView {
  dicom_id: string;
  view: string;
  path: string;
}
interface GtStudy {
  subject_id: number;
  study_index: number;
  frontal: GtView;
  lateral: GtView | null;
  findings: Record<string, { severity: number; change: string }>;
}

export interface ContactSheetOptions {
  /** Tile side in pixels. */
  tile?: number;
  /** Most studies shown for the followed patient. */
  maxStudies?: number;
  /** Number of other patients shown (two tiles each). */
  others?: number;
  /** Follow this subject instead of the one with the most studies. */
  subjectId?: number;
}

const SHORT: Record<string, string> = {
  effusionLeft: 'effL', effusionRight: 'effR', consolidation: 'cons', pneumonia: 'pna', pneumothorax: 'ptx',
  edema: 'edema', cardiomegaly: 'cardio', atelectasis: 'atel', lungOpacity: 'opac',
};

function caption(s: GtStudy): string {
  const parts = Object.entries(s.findings)
    .filter(([, f]) => f.severity > 0)
    .map(([k, f]) => `${SHORT[k] ?? k} ${f.severity.toFixed(2)}`);
  return `#${s.study_index + 1} ${s.frontal.view}|${parts.join(' ') || 'normal'}`;
}

async function loadTile(cohortDir: string, rel: string | null, tile: number): Promise<Buffer> {
  if (!rel) return Buffer.alloc(tile * tile, 24);
  return sharp(join(cohortDir, rel)).greyscale().resize(tile, tile).raw().toBuffer();
}

const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Write a PNG contact sheet of `cohortDir` to `outPng`; returns the followed subject id. */
export async function writeContactSheet(cohortDir: string, outPng: string, opts: ContactSheetOptions = {}): Promise<number> {
  const tile = opts.tile ?? 192;
  const maxStudies = opts.maxStudies ?? 6;
  const nOthers = opts.others ?? 6;
  const lines = (await readFile(join(cohortDir, FILES.groundTruth), 'utf8')).split('\n').filter(Boolean);
  const studies = lines.map((l) => JSON.parse(l) as GtStudy);
  const bySubject = new Map<number, GtStudy[]>();
  for (const s of studies) bySubject.set(s.subject_id, [...(bySubject.get(s.subject_id) ?? []), s]);
  // Follow the patient with the most studies that has lateral views and changing findings.
  const score = (ss: GtStudy[]): number => ss.length * 2 + ss.filter((s) => s.lateral).length + ss.filter((s) => Object.values(s.findings).some((f) => f.change === 'worsening' || f.change === 'improving')).length * 2;
  const followed = opts.subjectId ?? [...bySubject.entries()].sort((a, b) => score(b[1]) - score(a[1]))[0]![0];
  const timeline = (bySubject.get(followed) ?? []).slice(0, maxStudies);
  const others = [...bySubject.keys()].filter((k) => k !== followed).slice(0, nOthers).map((k) => bySubject.get(k)![0]!);
  const cols = Math.max(timeline.length, 6);
  const rowsOthers = Math.ceil((others.length * 2) / cols);
  const rows = 2 + rowsOthers;
  const W = cols * tile, H = rows * tile;
  const canvas = Buffer.alloc(W * H, 0);
  const place = (buf: Buffer, c: number, r: number): void => {
    for (let y = 0; y < tile; y++) buf.copy(canvas, (r * tile + y) * W + c * tile, y * tile, y * tile + tile);
  };
  const captions: { x: number; y: number; text: string }[] = [];
  for (let i = 0; i < timeline.length; i++) {
    const s = timeline[i]!;
    place(await loadTile(cohortDir, s.frontal.path, tile), i, 0);
    place(await loadTile(cohortDir, s.lateral?.path ?? null, tile), i, 1);
    captions.push({ x: i * tile + 3, y: 0, text: caption(s) });
    captions.push({ x: i * tile + 3, y: tile, text: s.lateral ? s.lateral.view : 'no lateral' });
  }
  for (let j = 0; j < others.length; j++) {
    const s = others[j]!;
    const k = j * 2;
    const c = k % cols, r = 2 + Math.floor(k / cols);
    place(await loadTile(cohortDir, s.frontal.path, tile), c, r);
    place(await loadTile(cohortDir, s.lateral?.path ?? null, tile), c + 1, r);
    captions.push({ x: c * tile + 3, y: r * tile, text: caption(s) });
  }
  const fontSize = Math.max(8, Math.round(tile / 20));
  const svg = `<svg width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${captions
    .flatMap((c) => c.text.split('|').map((t, i) => `<text x="${c.x}" y="${c.y + (i + 1) * (fontSize + 1)}" font-family="sans-serif" font-size="${fontSize}" fill="#ffd84a">${esc(t)}</text>`))
    .join('')}</svg>`;
  await sharp(canvas, { raw: { width: W, height: H, channels: 1 } })
    .toColourspace('srgb')
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toFile(outPng);
  return followed;
}
