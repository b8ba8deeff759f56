// What --help tells a new admin: the options most commands take and the environment variables
// (top level), that task-log takes names, and where submit's job documents are described.
import { describe, expect, it } from 'vitest';
import { EXAMPLE_JOB } from '../../src/cli/submit';
import { farmDir, runCli, runJson } from '../helpers/cli';

describe('--help', { timeout: 30_000 }, () => {
  it('at the top lists the common options and every FLAMENCO_MGR_* variable the program reads', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const option of ['--data-dir', '--manager', '--token', '--token-file', '--json', '-o wide']) expect(r.stdout).toContain(`  ${option}`);
    for (const env of ['FLAMENCO_MGR_DATA_DIR', 'FLAMENCO_MGR_URL', 'FLAMENCO_MGR_TOKEN', 'FLAMENCO_MGR_TOKEN_FILE', 'FLAMENCO_MGR_DEBUG', 'NO_COLOR']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${env} +\\S`, 'm'));
    }
  });

  it('task-log says that names work', async () => {
    const r = await runCli(['task-log', '--help']);
    expect(r.stdout).toContain('Usage: flamenco-mgr task-log [options] <task>');
    expect(r.stdout).toContain("the job's name or id and the\ntask's name");
    expect(r.stdout).toContain('"shot 12/render-1-10"');
  });

  it('submit points to job-types and shows an example document that a farm accepts', async () => {
    const r = await runCli(['submit', '--help']);
    expect(r.stdout).toContain("'flamenco-mgr job-types' lists the job types");
    expect(r.stdout).toContain(`echo '${JSON.stringify(EXAMPLE_JOB)}' | flamenco-mgr submit -`);
    const dir = farmDir();
    const submitted = await runJson(['submit', '-', '--data-dir', dir], { input: JSON.stringify(EXAMPLE_JOB) });
    expect(submitted.tasks).toBe(2);
  });
});
