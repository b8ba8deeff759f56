// Task logs on disk: layout, append, rotation on reassignment, and reading the tail.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTaskLog } from '../../../src/core/protocol/task-log-reads';
import { LogWriter } from '../../../src/core/protocol/log-writer';
import { TaskLogs } from '../../../src/core/protocol/task-logs';
import { tempDir, testManager } from '../../helpers/env';
import { addWorker, mustClaim, report, submitCustom } from '../../helpers/domain';

/** The last n lines of the test task's current log, read as every reader does. */
async function tail(l: TaskLogs, n: number): Promise<string> {
  return (await openTaskLog(l, JOB, TASK))?.tail(n) ?? '';
}

const JOB = 'abcd0123456789abcdef0123';
const TASK = '0123456789abcdef01234567';

function logs(): TaskLogs {
  return new TaskLogs(path.join(tempDir(), 'task-logs'));
}

describe('TaskLogs', () => {
  it('keeps a task log at task-logs/job-<4 hex>/<job>/task-<task>.txt', () => {
    const l = logs();
    expect(path.relative(l.root, l.file(JOB, TASK))).toBe(path.join('job-abcd', JOB, `task-${TASK}.txt`));
  });

  it('refuses ids that are not 24 hex characters', () => {
    const l = logs();
    expect(() => l.file('../../etc', TASK)).toThrow(/invalid job id/);
    expect(() => l.file(JOB, '../passwd')).toThrow(/invalid task id/);
    expect(() => l.append(JOB, 'ABCDEF0123456789ABCDEF01', 'x')).toThrow(/invalid task id/);
  });

  it('appends text in the order asked, adding a final newline when missing', async () => {
    const l = logs();
    void l.append(JOB, TASK, 'one');
    void l.append(JOB, TASK, 'two\n');
    void l.append(JOB, TASK, '');
    await l.append(JOB, TASK, 'three\nfour');
    expect(readFileSync(l.file(JOB, TASK), 'utf8')).toBe('one\ntwo\nthree\nfour\n');
  });

  it('does not create a file for empty text', async () => {
    const l = logs();
    await l.append(JOB, TASK, '');
    await l.idle();
    expect(existsSync(l.file(JOB, TASK))).toBe(false);
  });

  it('rotates .txt → .txt.1 → .txt.2 so each run starts a fresh file', async () => {
    const l = logs();
    const f = l.file(JOB, TASK);
    await l.rotate(JOB, TASK); // nothing to rotate yet
    expect(existsSync(`${f}.1`)).toBe(false);
    await l.append(JOB, TASK, 'run 1');
    await l.rotate(JOB, TASK);
    expect(existsSync(f)).toBe(false);
    await l.append(JOB, TASK, 'run 2');
    await l.rotate(JOB, TASK);
    await l.append(JOB, TASK, 'run 3');
    expect(readFileSync(f, 'utf8')).toBe('run 3\n');
    expect(readFileSync(`${f}.1`, 'utf8')).toBe('run 2\n');
    expect(readFileSync(`${f}.2`, 'utf8')).toBe('run 1\n');
    expect(existsSync(`${f}.3`)).toBe(false);
  });

  it('startRun starts each run in a fresh file: created for the first run, the old one moved aside for the next', async () => {
    const failures: unknown[] = [];
    const l = new TaskLogs(path.join(tempDir(), 'task-logs'), (_file, err) => failures.push(err));
    const f = l.file(JOB, TASK);
    await l.startRun(JOB, TASK, 'run 1 assigned'); // its directories do not exist yet
    void l.append(JOB, TASK, 'run 1, line');
    void l.startRun(JOB, TASK, 'run 2 assigned');
    void l.append(JOB, TASK, 'run 2, line');
    await l.startRun(JOB, TASK, 'run 3 assigned\n');
    await l.idle();
    expect(readFileSync(f, 'utf8')).toBe('run 3 assigned\n');
    expect(readFileSync(`${f}.1`, 'utf8')).toBe('run 2 assigned\nrun 2, line\n');
    expect(readFileSync(`${f}.2`, 'utf8')).toBe('run 1 assigned\nrun 1, line\n');
    expect(existsSync(`${f}.3`)).toBe(false);
    expect(failures).toEqual([]);
  });

  it('startRun reports a log it cannot write instead of rejecting', async () => {
    const failures: string[] = [];
    const l = new TaskLogs(path.join(tempDir(), 'task-logs'), (file, err) => failures.push(`${path.basename(file)}: ${(err as NodeJS.ErrnoException).code}`));
    // The job's log directory is taken by a file.
    mkdirSync(path.dirname(l.dir(JOB)), { recursive: true });
    writeFileSync(l.dir(JOB), '');
    await expect(l.startRun(JOB, TASK, 'lost')).resolves.toBeUndefined();
    expect(failures).toEqual([`task-${TASK}.txt: ENOTDIR`]);
  });

  it('rotates only after the writes asked for before, which belong to the run moved aside', async () => {
    const l = logs();
    const f = l.file(JOB, TASK);
    void l.append(JOB, TASK, 'run 1, line 1');
    void l.append(JOB, TASK, 'run 1, line 2');
    void l.rotate(JOB, TASK);
    void l.append(JOB, TASK, 'run 2');
    await l.idle();
    expect(readFileSync(`${f}.1`, 'utf8')).toBe('run 1, line 1\nrun 1, line 2\n');
    expect(readFileSync(f, 'utf8')).toBe('run 2\n');
  });

  it('flushed() waits for the writes under way for one log', async () => {
    const l = logs();
    void l.append(JOB, TASK, 'first');
    void l.append(JOB, TASK, 'second');
    expect(existsSync(l.file(JOB, TASK))).toBe(false); // on the task-log thread, not yet written
    await l.flushed(JOB, TASK);
    expect(readFileSync(l.file(JOB, TASK), 'utf8')).toBe('first\nsecond\n');
    await l.flushed(JOB, TASK); // nothing under way: resolves at once
  });

  it('reports a failed write instead of rejecting, and goes on with the next ones', async () => {
    const failures: string[] = [];
    const root = path.join(tempDir(), 'task-logs');
    const l = new TaskLogs(root, (file, err) => failures.push(`${path.basename(file)}: ${(err as NodeJS.ErrnoException).code}`));
    // The task's log path is taken by a directory: opening it for appending fails.
    mkdirSync(l.file(JOB, TASK), { recursive: true });
    await expect(l.append(JOB, TASK, 'lost')).resolves.toBeUndefined();
    expect(failures).toEqual([`task-${TASK}.txt: EISDIR`]);
    const other = '0123456789abcdef01234568';
    await l.append(JOB, other, 'kept');
    expect(readFileSync(l.file(JOB, other), 'utf8')).toBe('kept\n');
  });

  it('tails the last N lines, with or without a final newline', async () => {
    const l = logs();
    expect(await tail(l, 5)).toBe(''); // no log yet
    await l.append(JOB, TASK, 'a\nb\nc\n');
    expect(await tail(l, 2)).toBe('b\nc\n');
    expect(await tail(l, 1)).toBe('c\n');
    expect(await tail(l, 3)).toBe('a\nb\nc\n');
    expect(await tail(l, 100)).toBe('a\nb\nc\n');
    expect(await tail(l, 0)).toBe('');
    writeFileSync(l.file(JOB, TASK), 'a\nb\nc');
    expect(await tail(l, 2)).toBe('b\nc');
  });

  it('tails a log larger than its read block', async () => {
    const l = logs();
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`);
    await l.append(JOB, TASK, lines.join('\n'));
    expect(await tail(l, 3)).toBe(lines.slice(-3).join('\n') + '\n');
    const many = await tail(l, 5_000);
    expect(many).toBe(lines.slice(-5_000).join('\n') + '\n');
    expect(await tail(l, 50_000)).toBe(lines.join('\n') + '\n');
  });

  it('removes the logs of a job, also when a write was still under way', async () => {
    const l = logs();
    await l.append(JOB, TASK, 'x');
    l.removeJob(JOB);
    expect(existsSync(l.dir(JOB))).toBe(false);
    void l.append(JOB, TASK, 'late');
    l.removeJob(JOB);
    await l.idle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(existsSync(l.dir(JOB))).toBe(false);
  });
});

describe('the log writer thread', () => {
  it('fails the writes of a thread that died, and starts another for the next ones', async () => {
    const w = new LogWriter();
    const file = path.join(tempDir(), 'a', 'log.txt');
    await w.run({ op: 'append', file, data: 'one\n' });
    const thread = (w as unknown as { thread: { terminate(): Promise<number> } }).thread;
    const lost = w.run({ op: 'append', file, data: 'lost\n' });
    // Killed with this turn's batch on its way to it.
    await thread.terminate();
    await expect(lost).rejects.toThrow(/the task-log thread stopped/);
    await w.run({ op: 'append', file, data: 'two\n' });
    expect(readFileSync(file, 'utf8')).toBe('one\ntwo\n');
    await w.close();
  });

  it('keeps each error code, so that a full disk reads as one', async () => {
    const w = new LogWriter();
    const dir = path.join(tempDir(), 'taken');
    writeFileSync(dir, '');
    await expect(w.run({ op: 'append', file: path.join(dir, 'log.txt'), data: 'x\n' })).rejects.toMatchObject({ code: 'ENOTDIR' });
    await w.close();
  });
});

describe('logs of assigned tasks', () => {
  it('start each assignment with a fresh log and the assignment line; updates append', async () => {
    const tm = testManager();
    const m = tm.manager;
    submitCustom(tm, [{ name: 'a' }]);
    const w1 = await addWorker(tm, { nickname: 'first' });
    const w2 = await addWorker(tm, { nickname: 'second' });
    const t = mustClaim(tm, w1);
    const file = m.taskLogs.file(t.job_id, t.id);
    await report(tm, w1, t.id, { log: 'rendering\nstill rendering' });
    await m.taskLogs.idle();
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^\\S+: Manager assigned task ${t.id} to worker first \\(${w1}\\)\nrendering\nstill rendering\n$`));
    expect(m.repos.tasks.get(t.id)!.log_tail).toBe('rendering\nstill rendering');

    m.queue.requeueWorker(w1);
    expect(mustClaim(tm, w2).id).toBe(t.id);
    await m.taskLogs.idle();
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^\\S+: Manager assigned task ${t.id} to worker second \\(${w2}\\)\n$`));
    expect(readFileSync(`${file}.1`, 'utf8')).toContain('still rendering');
    expect(readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)).toContain('to worker second');
  });
});
