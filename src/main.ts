// The flamenco-mgr program: builds the commander tree; the only place that exits.
import { Command, CommanderError } from 'commander';
import { DomainError, ERROR_RULES, EXIT, isSqliteBusy, storageProblem } from './core/support/errors';
import { SchemaTooNewError } from './db/open';
import { adminTokenCommand } from './cli/admin-token';
import { backupCommand } from './cli/backup';
import { blocklistCommand, forgetWorkerCommand, sleepScheduleCommand } from './cli/farm';
import { jobsCommand } from './cli/jobs';
import { jobTypesCommand } from './cli/job-types';
import { DATA_DIR_ENV, DataDirError, DEFAULT_DATA_DIR, fsProblem } from './cli/context';
import { TOKEN_ENV, TOKEN_FILE_ENV, URL_ENV } from './cli/client/connect';
import { queueStatusCommand, requeueCommand } from './cli/queue';
import { pruneJobsCommand } from './cli/prune';
import { completionCommand } from './cli/completion';
import { serveCommand } from './cli/serve';
import { submitCommand } from './cli/submit';
import { listWorkersCommand, setWorkerStatusCommand } from './cli/workers';
import { io } from './cli/io';
import { workerTagsCommand } from './cli/worker-tags';
import { webhooksCommand } from './cli/webhooks';
import { ExitCode } from './cli/exit';
import { RemoteError } from './cli/client/remote';
import { COMMIT, VERSION } from './version';

const DEBUG_ENV = 'FLAMENCO_MGR_DEBUG';

/** What every command takes, said once (each command's --help lists its own). */
export const GLOBAL_HELP = `
Options most commands take:
  --data-dir <dir>       the manager's data directory (default: $${DATA_DIR_ENV} or ${DEFAULT_DATA_DIR})
  --manager <url>        work on a manager elsewhere over HTTP (all but serve, backup, restore, completion)
  --token <token>        its admin token
  --token-file <file>    read the admin token from this file
  --json                 JSON instead of a table or text
  -o wide                never cut table cells (on a terminal, tables fit its width)

Environment:
${[
  [DATA_DIR_ENV, 'data directory when --data-dir is not given'],
  [URL_ENV, 'manager URL when neither --manager nor --data-dir is given'],
  [TOKEN_ENV, 'admin token for --manager'],
  [TOKEN_FILE_ENV, 'file holding it (default ~/.config/flamenco-mgr/token)'],
  [DEBUG_ENV, 'set to 1: internal errors print their stack trace'],
  ['NO_COLOR', 'set: no colours on a terminal'],
]
  .map(([name, what]) => `  ${name!.padEnd(25)}${what}`)
  .join('\n')}

'flamenco-mgr <command> --help' shows a command's options. Start a manager with
'flamenco-mgr serve'; docs/cli.md describes every command.`;

function isFsError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException;
  return e instanceof Error && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.syscall === 'string';
}

export function buildProgram(): Command {
  const program = new Command('flamenco-mgr')
    .description('A render-farm manager for Flamenco Worker 2.5 and Flamenco 3 Workers, in one executable')
    .version(`flamenco-mgr ${VERSION} (commit ${COMMIT})`, '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', GLOBAL_HELP)
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride();
  serveCommand(program);
  submitCommand(program);
  listWorkersCommand(program);
  queueStatusCommand(program);
  requeueCommand(program);
  setWorkerStatusCommand(program);
  jobsCommand(program);
  jobTypesCommand(program);
  forgetWorkerCommand(program);
  blocklistCommand(program);
  sleepScheduleCommand(program);
  workerTagsCommand(program);
  pruneJobsCommand(program);
  backupCommand(program);
  adminTokenCommand(program);
  webhooksCommand(program);
  completionCommand(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program)) cmd.exitOverride();
  return program;
}

/**
 * Runs the program on argv (as process.argv: node, script, args…) and returns its exit code; the
 * error, if any, is printed as one line. Output goes through cli/io.ts.
 */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof ExitCode) return err.code;
    if (err instanceof CommanderError) {
      // Help and version land here with exit code 0; usage errors were already printed.
      return err.exitCode === 0 ? 0 : 2;
    }
    const { code, message } = describeError(err);
    io.err(`flamenco-mgr: ${message}\n`);
    return code;
  }
}

/** The exit code and the one line to print for an error that ended a command. */
export function describeError(err: unknown): { code: number; message: string } {
  if (err instanceof DomainError) return { code: err.rule.exit, message: err.message };
  if (err instanceof DataDirError) return { code: EXIT.badInput, message: err.message };
  if (err instanceof RemoteError) return { code: err.exitCode, message: err.message };
  if (err instanceof SchemaTooNewError) return { code: EXIT.internal, message: err.message };
  if (isSqliteBusy(err)) return { code: ERROR_RULES.busy.exit, message: 'the database is busy (a long operation holds it); try again' };
  const storage = storageProblem(err);
  if (storage) return { code: ERROR_RULES.unavailable.exit, message: `${storage}; nothing was changed` };
  if (isFsError(err)) return { code: EXIT.internal, message: `${err.path ? `${err.path}: ` : ''}${fsProblem(err)}` };
  // A stack trace helps a bug report but not the person at the terminal; it is opt-in.
  const debug = Boolean(process.env[DEBUG_ENV]);
  const detail = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err);
  return { code: EXIT.internal, message: `internal error: ${detail}${debug ? '' : ` (set ${DEBUG_ENV}=1 for details)`}` };
}

/** The program's entry: runs it and exits with its code when that is not 0 (serve keeps running). */
export async function main(argv: string[]): Promise<void> {
  const code = await run(argv);
  if (code !== 0) process.exit(code);
}

// `flamenco-mgr jobs | head` closes the pipe early: that is the reader's choice, not an error.
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}
