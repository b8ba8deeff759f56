// The flamenco-mgr program: builds the commander tree; the only place that exits.
import { Command, CommanderError } from 'commander';
import { DomainError, type ErrorCode, isSqliteBusy } from './core/support/errors';
import { SchemaTooNewError } from './db/open';
import { adminTokenCommand } from './cli/admin-token';
import { backupCommand } from './cli/backup';
import { blocklistCommand, forgetWorkerCommand, sleepScheduleCommand } from './cli/farm';
import { jobsCommand } from './cli/jobs';
import { jobTypesCommand } from './cli/job-types';
import { DataDirError, fsProblem } from './cli/context';
import { queueStatusCommand, requeueCommand } from './cli/queue';
import { serveCommand } from './cli/serve';
import { submitCommand } from './cli/submit';
import { listWorkersCommand, setWorkerStatusCommand } from './cli/workers';
import { COMMIT, VERSION } from './version';

const EXIT: Record<ErrorCode, number> = {
  validation: 2,
  unprocessable: 2,
  unauthorized: 2,
  forbidden: 2,
  not_found: 3,
  conflict: 4,
  busy: 5,
};

const DEBUG_ENV = 'FLAMENCO_MGR_DEBUG';

function isFsError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException;
  return e instanceof Error && typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code) && typeof e.syscall === 'string';
}

export function buildProgram(): Command {
  const program = new Command('flamenco-mgr')
    .description('A render-farm manager for Flamenco Worker 2.x, in one executable')
    .version(`flamenco-mgr ${VERSION} (commit ${COMMIT})`, '-V, --version')
    .showHelpAfterError('(add --help for usage)')
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
  backupCommand(program);
  adminTokenCommand(program);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const cmd of all(program)) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version land here with exit code 0; usage errors were already printed.
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    let code = 1;
    let message: string;
    if (err instanceof DomainError) {
      code = EXIT[err.code];
      message = err.message;
    } else if (err instanceof DataDirError) {
      code = 2;
      message = err.message;
    } else if (err instanceof SchemaTooNewError) {
      message = err.message;
    } else if (isSqliteBusy(err)) {
      code = EXIT.busy;
      message = 'the database is busy (a long operation holds it); try again';
    } else if (isFsError(err)) {
      message = `${err.path ? `${err.path}: ` : ''}${fsProblem(err)}`;
    } else {
      // A stack trace helps a bug report but not the person at the terminal; it is opt-in.
      const detail = err instanceof Error ? (process.env[DEBUG_ENV] ? (err.stack ?? err.message) : err.message) : String(err);
      message = `internal error: ${detail}${process.env[DEBUG_ENV] ? '' : ` (set ${DEBUG_ENV}=1 for details)`}`;
    }
    process.stderr.write(`flamenco-mgr: ${message}\n`);
    process.exit(code);
  }
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
