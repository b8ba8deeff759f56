// The Task document's job-level part (the job type) is read once per job, not once per task.
import { describe, expect, it, vi } from 'vitest';
import { customJob, registerWorker, testServer } from '../helpers/env';

describe('task document', () => {
  it("reads a job's type once for all its tasks handed out, and each job's its own", async () => {
    const s = await testServer();
    const m = s.manager;
    m.jobs.submit(customJob([{ name: 'a' }, { name: 'b' }, { name: 'c' }]));
    const reads = vi.spyOn(m.repos.jobs, 'jobType');
    const workers = await Promise.all([0, 1, 2].map(() => registerWorker(s.url)));
    for (const w of workers) {
      const r = await w.call('POST', '/task');
      expect(r.status).toBe(200);
      expect(r.json.job_type).toBe('custom');
    }
    expect(reads).toHaveBeenCalledTimes(1);
    m.jobs.submit(customJob([{ name: 'd' }]));
    const w = await registerWorker(s.url);
    expect((await w.call('POST', '/task')).json.job_type).toBe('custom');
    expect(reads).toHaveBeenCalledTimes(2);
  });
});
