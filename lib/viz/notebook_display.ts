/**
 * Sends rich output to the notebook the code runs in.
 *
 * tslab's public `display` sends one mime type per call; a Plotly figure needs a
 * bundle (the plotly mime type for JupyterLab plus HTML for exported pages), so
 * this goes through tslab's own display-data writer. Outside a tslab kernel
 * (CLI, tests) nothing is sent and callers get `false`.
 */
import { createRequire } from 'node:module';

/** A Jupyter mime bundle: mime type → payload (JSON-able object for `+json` types, string otherwise). */
export type MimeBundle = Record<string, unknown>;

type DisplayWriter = (content: { data: MimeBundle; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

const require = createRequire(import.meta.url);

function tslabWriter(): DisplayWriter | null {
  try {
    const jupyter = require('tslab/dist/jupyter.js') as { lastWriteDisplayData?: DisplayWriter | null };
    return jupyter.lastWriteDisplayData ?? null;
  } catch {
    return null;
  }
}

/** True inside a running tslab kernel cell. */
export function inNotebook(): boolean {
  return tslabWriter() !== null;
}

/** Where a bundle goes: a new output, or an update of an earlier one with the same display id. */
export interface DisplayTarget {
  /** Names the output so that later bundles can replace it in place. */
  displayId?: string;
  /** Replace the output named `displayId` instead of adding one. */
  update?: boolean;
}

/** Displays a mime bundle in the current cell's output; returns false when not in a notebook. */
export function displayBundle(bundle: MimeBundle, target: DisplayTarget = {}): boolean {
  const write = tslabWriter();
  if (!write) return false;
  write({ data: bundle, metadata: {}, transient: target.displayId ? { display_id: target.displayId } : {} }, target.update ?? false);
  return true;
}
