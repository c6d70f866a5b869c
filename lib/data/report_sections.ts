/**
 * A report's findings and impression cleaned separately (methods §1.6 per
 * section), for methods that align each section on its own (IMITATE). A
 * section that is absent, or has no sentence left after cleaning, is null.
 */
import { DataIssues } from './errors.ts';
import type { ManifestReport } from './manifest.ts';
import { cleanReportText } from './report.ts';

/** Cleaned section texts (`s1. s2.`), null where the report has none. */
export interface CleanedSections {
  findings: string | null;
  impression: string | null;
}

/** One section through the report cleaner (short sentences dropped; no minimum length for the section). */
function cleanSection(text: string | null): string | null {
  if (text === null || text.trim() === '') return null;
  return cleanReportText(text, null, { minReportTokens: 1, issues: new DataIssues() })?.text ?? null;
}

/** The findings and impression of a manifest report, each cleaned on its own. */
export function cleanedSections(report: Pick<ManifestReport, 'findings' | 'impression'>): CleanedSections {
  return { findings: cleanSection(report.findings), impression: cleanSection(report.impression) };
}
