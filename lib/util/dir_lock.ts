/**
 * A lock file that keeps two writers out of one output folder. The file holds
 * who took it (pid, host, time, what for); a lock left by a process that no
 * longer runs on this host is taken over, and the caller is told.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  purpose: string;
}

/** A held lock: `release` removes the file (once). */
export interface DirLock {
  file: string;
  /** Set when a stale lock was taken over: whose it was. */
  tookOverFrom: LockHolder | null;
  release(): void;
}

/** Thrown when another live process holds the lock. */
export class DirLockedError extends Error {
  override readonly name = 'DirLockedError';
  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    super(
      `${path.dirname(file)} is in use by ${holder.purpose} (pid ${holder.pid} on ${holder.host}, since ${holder.started}); ` +
        `wait for it to finish, or delete ${file} if that process is gone`,
    );
  }
}

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return null; // vanished or half-written: treated as free below only if it vanished
  }
}

/**
 * Take the lock `name` in `dir` (created if needed) for `purpose`.
 * @throws DirLockedError naming the holder when a live process has it (or one on another host).
 */
export function acquireDirLock(dir: string, purpose: string, name = '.lock'): DirLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), purpose };
  let tookOverFrom: LockHolder | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, JSON.stringify(me) + '\n');
      fs.closeSync(fd);
      let released = false;
      return {
        file,
        tookOverFrom,
        release: () => {
          if (released) return;
          released = true;
          fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder === null) {
      if (fs.existsSync(file)) throw new DirLockedError(file, { pid: 0, host: 'unknown', started: 'unknown', purpose: 'another process (unreadable lock file)' });
      continue;
    }
    // Only a holder on this host can be seen to be dead; another host's lock is respected.
    if (holder.host !== me.host || processIsAlive(holder.pid)) throw new DirLockedError(file, holder);
    fs.rmSync(file, { force: true });
    tookOverFrom = holder;
  }
  throw new Error(`could not take the lock ${file}`);
}
