/** A benchmark case: a name for `npm run bench -- NAME` and a run that returns its figures. */
export interface BenchCase {
  name: string;
  run: () => Promise<Record<string, number | string>>;
}
