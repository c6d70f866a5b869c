/**
 * Indiana University chest X-ray reports (`indiana_reports.csv` layout):
 * `uid, MeSH, Problems, image, indication, comparison, findings, impression`.
 * Removed words are written `XXXX`; any text column may be empty.
 */
import { readCsvFile, type CsvReadOptions, type CsvReadResult } from './csv.ts';
import { DataIssues } from './errors.ts';
import { cleanReportText, type CleanedReport } from './report.ts';

/** One IU X-ray report; blank text fields are null. */
export interface IuReportRecord {
  uid: number;
  /** 1-based data row in the file, for locating issues. */
  row: number;
  mesh: string | null;
  problems: string | null;
  image: string | null;
  indication: string | null;
  comparison: string | null;
  findings: string | null;
  impression: string | null;
}

const IU_COLUMNS = ['uid', 'MeSH', 'Problems', 'image', 'indication', 'comparison', 'findings', 'impression'];

/** Read the IU X-ray reports CSV; a non-integer uid skips the row ('bad-number'). */
export function readIuReports(path: string, options: CsvReadOptions = {}): CsvReadResult<IuReportRecord> {
  return readCsvFile(
    path,
    (record) => ({
      uid: record.int('uid'),
      row: record.row,
      mesh: record.optionalText('MeSH'),
      problems: record.optionalText('Problems'),
      image: record.optionalText('image'),
      indication: record.optionalText('indication'),
      comparison: record.optionalText('comparison'),
      findings: record.optionalText('findings'),
      impression: record.optionalText('impression'),
    }),
    { ...options, requiredColumns: IU_COLUMNS },
  );
}

/**
 * Clean an IU report by methods §1.6 (impression + findings); null when dropped,
 * with an issue located at `file` and the report's row.
 */
export function cleanIuReport(report: IuReportRecord, issues: DataIssues, file = 'iu-reports'): CleanedReport | null {
  return cleanReportText(report.impression, report.findings, { issues, where: { file, row: report.row } });
}
