/**
 * Named choices for interactive analysis (notebook filters): the values a
 * filter may take, as types and lists, and a check that names the valid
 * values when a choice is misspelt.
 */
import { MS_CXR_T_FINDINGS, PROGRESSION_CLASSES, type MsCxrTFinding } from '../data/ms_cxr_t.ts';

type Progress = (typeof PROGRESSION_CLASSES)[number];

/** A temporal-classification error: `any`, or `truth→predicted` with two different classes. */
export type TemporalErrorType = 'any' | `${Progress}→${Progress}`;

/** Every temporal error type: `any` and the six `truth→predicted` pairs. */
export const TEMPORAL_ERROR_TYPES: readonly TemporalErrorType[] = [
  'any',
  ...PROGRESSION_CLASSES.flatMap((truth) => PROGRESSION_CLASSES.filter((predicted) => predicted !== truth).map((predicted) => `${truth}→${predicted}` as TemporalErrorType)),
];

/**
 * `value` if it is one of `allowed`, else an Error naming the choice and every valid value.
 * @example checkChoice('finding', 'effusion', MS_CXR_T_FINDINGS) // throws: finding "effusion" is not one of consolidation, edema, ...
 */
export function checkChoice<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`${name} "${value}" is not one of ${allowed.join(', ')}`);
}

/** Checks a finding and an error type together (the filters of notebook 04). */
export function checkTemporalFilter(finding: string, errorType: string): { finding: MsCxrTFinding; errorType: TemporalErrorType } {
  return { finding: checkChoice('finding', finding, MS_CXR_T_FINDINGS), errorType: checkChoice('errorType', errorType, TEMPORAL_ERROR_TYPES) };
}
