// Where the commands write and read. The program's own streams by default; tests run the
// commands in-process and put their own in (test/helpers/cli.ts), so a command never touches
// process.stdout or process.stdin directly.
import { readFileSync } from 'node:fs';

export interface CliIo {
  out(text: string | Uint8Array): void;
  err(text: string): void;
  /** Standard input, whole (`submit -`). */
  readStdin(): string;
  /** Whether standard output is a terminal (tables fit it, statuses get colour, --watch redraws). */
  isTty(): boolean;
  /** The terminal's width in columns, when standard output is one. */
  columns(): number | undefined;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
  isTty: () => process.stdout.isTTY === true,
  columns: () => process.stdout.columns,
};

export const io: CliIo = { ...processIo };

/** Runs fn with other streams in place of the program's (tests); restores them afterwards. */
export async function withIo<T>(replacement: CliIo, fn: () => Promise<T>): Promise<T> {
  const saved = { ...io };
  Object.assign(io, replacement);
  try {
    return await fn();
  } finally {
    Object.assign(io, saved);
  }
}
