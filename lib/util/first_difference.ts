/**
 * The first place two JSON-like values differ, as a path and both values:
 * what a resume check names when a run folder was started with another
 * config. A key the saved side lacks counts as equal when the current value
 * is null or false (a field added to the project after the run started, at
 * its "off" value).
 */
export interface Difference {
  /** e.g. `vision.stem` or `stages[1].losses.mim` (empty for the values themselves). */
  path: string;
  saved: unknown;
  current: unknown;
}

export function firstDifference(saved: unknown, current: unknown, path = ''): Difference | null {
  if (Object.is(saved, current)) return null;
  if (Array.isArray(saved) && Array.isArray(current)) {
    if (saved.length !== current.length) return { path: `${path}.length`.replace(/^\./, ''), saved: saved.length, current: current.length };
    for (let i = 0; i < saved.length; i++) {
      const d = firstDifference(saved[i], current[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (isRecord(saved) && isRecord(current)) {
    for (const key of new Set([...Object.keys(saved), ...Object.keys(current)])) {
      const at = path ? `${path}.${key}` : key;
      if (!(key in saved) && (current[key] === null || current[key] === false || current[key] === undefined)) continue;
      const d = firstDifference(saved[key], current[key], at);
      if (d) return d;
    }
    return null;
  }
  return { path, saved, current };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
