// Views that keep going: --watch redraws a command's output, task-log --follow and wait-job poll
// until something ends. They all wait through `liveLoop`, which tests replace to step the farm
// between two looks instead of sleeping.
import type { Command } from 'commander';
import { ValidationError } from '../core/support/errors';
import { io } from './io';
import { jsonText } from './format';
import type { CommonOptions } from './context';
import type { FarmClient } from './client/client';
import { withClient } from './client/connect';

export const liveLoop = {
  /**
   * Waits `ms` or until `stopped` settles; resolves true when stopped (Ctrl-C, SIGTERM). Tests put
   * their own in: one that changes the farm and then returns at once.
   */
  wait(ms: number, stopped: Promise<void>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    return Promise.race([elapsed, stopped.then(() => true)]).finally(() => clearTimeout(timer));
  },
};

/** Resolves on SIGINT or SIGTERM; `dispose` removes the handlers. */
export function stopSignal(): { stopped: Promise<void>; dispose(): void } {
  let onSignal: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    onSignal = () => resolve();
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    stopped,
    dispose: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}

export interface WatchOptions {
  watch?: string | boolean;
}

export const DEFAULT_WATCH_SECONDS = 2;

/** Adds --watch [seconds] to a command that prints a view. */
export function withWatch(cmd: Command): Command {
  return cmd.option('-w, --watch [seconds]', `print the view again every few seconds (default ${DEFAULT_WATCH_SECONDS}) until interrupted`);
}

/** The seconds between two looks, or undefined without --watch. */
export function watchSeconds(opts: WatchOptions): number | undefined {
  if (opts.watch === undefined || opts.watch === false) return undefined;
  if (opts.watch === true) return DEFAULT_WATCH_SECONDS;
  const s = Number(opts.watch);
  if (!/^\d+(\.\d+)?$/.test(opts.watch) || s < 0.5 || s > 3600) {
    throw new ValidationError(`--watch: "${opts.watch}" is not a number of seconds from 0.5 to 3600`);
  }
  return s;
}

/** One look at a view: what to print, and what decides whether it changed (the data, not the "5s ago"). */
export interface Frame {
  text: string;
  key: string;
}

/** A frame of data printed as JSON, or as text made from it. */
export function frameOf(data: unknown, json: boolean | undefined, human: () => string): Frame {
  return { text: json ? jsonText(data) : human(), key: JSON.stringify(data) };
}

/** Prints a view once, or with --watch again and again, on one open farm. */
export async function showView(opts: CommonOptions & WatchOptions, title: string, look: (c: FarmClient) => Promise<Frame>): Promise<void> {
  const seconds = watchSeconds(opts);
  await withClient(opts, async (c) => {
    if (seconds === undefined) io.out((await look(c)).text);
    else await watch(seconds, title, () => look(c));
  });
}

const CLEAR = '\x1b[H\x1b[2J';

/**
 * Prints look() every `seconds` until interrupted. On a terminal the screen is redrawn in place
 * under a header line; on a pipe a new block (after a blank line) is printed only when the data
 * changed, so a log of it holds each state once.
 */
export async function watch(seconds: number, title: string, look: () => Frame | Promise<Frame>): Promise<void> {
  const tty = io.isTty();
  const signal = stopSignal();
  let last: string | undefined;
  try {
    for (;;) {
      const f = await look();
      if (tty) io.out(`${CLEAR}every ${seconds}s: ${title}    ${new Date().toISOString().slice(11, 19)}\n\n${f.text}`);
      else if (f.key !== last) io.out(last === undefined ? f.text : `\n${f.text}`);
      last = f.key;
      if (await liveLoop.wait(seconds * 1000, signal.stopped)) return;
    }
  } finally {
    signal.dispose();
  }
}
