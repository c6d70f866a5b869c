/**
 * How much of each report the text encoder sees at a given maxTokens (lab notebook §29).
 * `report_length.ts PREPARED VOCAB_TXT [L,L,...]`: report lengths in word pieces, and per L
 * the share of reports that are cut and the share that lose a sentence not said earlier
 * in the report (the impression often repeats the findings, so not every cut loses content).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadTokenizer } from '../../lib/data/tokenizer/index.ts';
import type { ManifestRecord } from '../../lib/data/manifest.ts';

const [prepared, vocab, lengthsArg = '64,96,128'] = process.argv.slice(2);
if (!prepared || !vocab) throw new Error('usage: report_length.ts PREPARED VOCAB_TXT [L,L,...]');
const tokenizer = await loadTokenizer(vocab);
const records = fs.readFileSync(path.join(prepared, 'manifest.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as ManifestRecord);
const pieces = (text: string) => tokenizer.encode(text, { addSpecialTokens: false, padding: 'none', truncation: false }).inputIds.length;

const lengths = records.map((r) => pieces(r.report.text) + 2).sort((a, b) => a - b);
const at = (q: number) => lengths[Math.floor(q * (lengths.length - 1))];
console.log(`${records.length} reports; tokens with [CLS] and [SEP]: median ${at(0.5)}, p75 ${at(0.75)}, p90 ${at(0.9)}, max ${at(1)}`);
const result: Record<string, { cut: number; losingSentence: number }> = {};
// Sentences are joined with '. ', so each costs its pieces plus one for the full stop.
const sentenceCosts = records.map((r) => r.report.sentences.map((sentence) => ({ sentence, cost: pieces(sentence) + 1 })));
for (const maxTokens of lengthsArg.split(',').map(Number)) {
  let losing = 0;
  for (const sentences of sentenceCosts) {
    let used = 2;
    const kept = new Set<string>();
    const lost: string[] = [];
    for (const { sentence, cost } of sentences) {
      if (lost.length === 0 && used + cost <= maxTokens) { kept.add(sentence); used += cost; } else lost.push(sentence);
    }
    if (lost.some((sentence) => !kept.has(sentence))) losing++;
  }
  const cut = lengths.filter((n) => n > maxTokens).length;
  result[maxTokens] = { cut: cut / records.length, losingSentence: losing / records.length };
  console.log(`maxTokens ${maxTokens}: ${(100 * cut / records.length).toFixed(1)} % of reports cut, ${(100 * losing / records.length).toFixed(1)} % lose a sentence not said earlier`);
}
console.log(`RESULT ${JSON.stringify({ prepared, n: records.length, result })}`);
