// What workers report (a task's activity) reaches the CLI's tables; a control character in it
// must reach the admin's terminal as a visible escape, never as an escape sequence.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { registerWorker, tempDir } from '../helpers/env';
import { runCli, startServe } from '../helpers/cli';

// biome-ignore lint/suspicious/noControlCharactersInRegex: what must never be printed
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

describe('the CLI and control characters from workers', { timeout: 30_000 }, () => {
  it("prints a task's activity with an escape sequence as visible text", async () => {
    const dir = tempDir();
    const s = await startServe(['--data-dir', dir]);
    const file = path.join(dir, 'job.json');
    writeFileSync(file, JSON.stringify({ name: 'plain', job_type: 'sleep', settings: { frames: '1', chunk_size: 1, time_in_seconds: 1 } }));
    const sub = await runCli(['submit', file, '--data-dir', dir, '--json']);
    expect(sub.code, sub.stderr).toBe(0);
    const jobId = JSON.parse(sub.stdout).id as string;
    const w = await registerWorker(s.url, { types: ['sleep'] });
    const task = (await w.call('POST', '/task')).json;
    const u = await w.call('POST', `/tasks/${task._id}/update`, { task_status: 'active', activity: 'Rendering\u001b[2J\u001b]0;owned\u0007 \u009b31m' });
    expect(u.status, u.text).toBe(204);
    const r = await runCli(['job', jobId, '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Rendering\\u001b[2J\\u001b]0;owned\\u0007 \\u009b31m');
    expect(r.stdout).not.toMatch(RAW);
  });
});
