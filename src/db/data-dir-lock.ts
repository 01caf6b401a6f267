import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = '.lock';

/** The embedded database under DATA_DIR is held by another live process. */
export class DataDirLockedError extends Error {
  readonly lockFile: string;
  readonly pid: number;

  constructor(lockFile: string, pid: number) {
    super(
      `the embedded database in ${lockFile.slice(0, -LOCK_FILE.length - 1)} is in use by process ${pid}: ` +
        `stop it, or set DATA_DIR to another directory (if no such process is this service, delete ${lockFile})`,
    );
    this.name = 'DataDirLockedError';
    this.lockFile = lockFile;
    this.pid = pid;
  }
}

export interface DataDirLock {
  /** Deletes the lock file if it is still this process's; safe to call more than once. */
  release(): void;
}

/** Whether a process with this id exists (EPERM: it does, but belongs to another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Creates the lock file only if none exists (O_EXCL), holding this process's id. */
function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Makes this process the only one using the embedded database under `dataDir`: PGlite has no
 * locking of its own, and two processes on one directory lose committed data. Creates
 * `dataDir/.lock` exclusively with this process's id; a lock whose process is gone (a crash, a
 * SIGKILL) is taken over. The lock is released by `release()` and, as a fallback, when the process
 * exits. Throws DataDirLockedError naming the live holder.
 *
 * Two processes taking over the same stale lock at the same instant could both succeed; after
 * creating, each re-reads the file, and only the one whose id it holds keeps it.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(file)) {
      if (readPid(file) !== process.pid) continue;
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.off('exit', release);
        if (readPid(file) === process.pid) unlinkSync(file);
      };
      process.on('exit', release);
      return { release };
    }
    const holder = readPid(file);
    if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
      throw new DataDirLockedError(file, holder);
    }
    // A stale (or unreadable, half-written) lock: its process is gone, take it over.
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const holder = readPid(file);
  throw new DataDirLockedError(file, holder ?? 0);
}
