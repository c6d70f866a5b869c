/**
 * Ctrl-C (a terminal) or Kernel › Interrupt (Jupyter sends the kernel SIGINT)
 * as an AbortSignal for the trainer, which then stops before its next step
 * with a checkpoint. A second Ctrl-C in a terminal exits at once; in a
 * notebook the kernel stays (tslab handles SIGINT itself too).
 */
import { inNotebook } from '../viz/notebook_display.ts';

/** An AbortSignal fired by SIGINT while it is held; `release` stops listening. */
export interface SigintInterrupt {
  signal: AbortSignal;
  release(): void;
}

export function interruptOnSigint(options: { exitOnSecond?: boolean; log?: (line: string) => void } = {}): SigintInterrupt {
  const exitOnSecond = options.exitOnSecond ?? !inNotebook();
  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) {
      if (exitOnSecond) process.exit(130);
      return;
    }
    options.log?.('interrupt: stopping before the next step and saving a checkpoint' + (exitOnSecond ? ' (Ctrl-C again to quit now)' : ''));
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.removeListener('SIGINT', onSigint) };
}
