// The configuration file: durations, validation of every key, and the timeout rule.
import { describe, expect, it } from 'vitest';
import { configFromJson, defaultConfig, formatDuration, parseDuration, parseListen } from '../../../src/core/support/config';
import { ValidationError } from '../../../src/core/support/errors';

describe('parseDuration', () => {
  it('parses single and combined units', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h2m3s4ms')).toBe(3_723_004);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration(' 2m ')).toBe(120_000);
  });

  for (const bad of ['', '   ', '10', 's', '10x', '-5s', '10 s', '1m 30s', 'ten minutes', '5sec', '1.s']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      expect(() => parseDuration(bad)).toThrow(ValidationError);
      expect(() => parseDuration(bad)).toThrow(/is not a duration/);
    });
  }

  it('formats durations back in the largest whole unit', () => {
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});

describe('configFromJson', () => {
  it('gives the defaults for an empty object', () => {
    expect(configFromJson({})).toEqual(defaultConfig());
    const d = defaultConfig();
    expect(d).toMatchObject({
      worker_timeout_ms: 60_000,
      task_timeout_ms: 600_000,
      blocklist_threshold: 3,
      task_fail_after_softfail_count: 3,
      job_fail_share: 0.1,
      registration_secret: null,
    });
  });

  it('reads every key', () => {
    const cfg = configFromJson({
      listen: '127.0.0.1:9000',
      worker_timeout: '30s',
      task_timeout: '5m',
      blocklist_threshold: 5,
      task_fail_after_softfail_count: 2,
      job_fail_share: 0.25,
      registration_secret: 'sekrit',
      variables: { render: { direction: 'two-way', values: [{ platform: 'linux', value: '/mnt/render' }] } },
    });
    expect(cfg).toMatchObject({
      listen: '127.0.0.1:9000',
      worker_timeout_ms: 30_000,
      task_timeout_ms: 300_000,
      blocklist_threshold: 5,
      task_fail_after_softfail_count: 2,
      job_fail_share: 0.25,
      registration_secret: 'sekrit',
    });
    expect(cfg.variables.render).toEqual({ direction: 'two-way', values: [{ platform: 'linux', value: '/mnt/render', audience: 'all' }] });
    // Built-in variables stay unless overridden.
    expect(Object.keys(cfg.variables).sort()).toEqual(['blender', 'ffmpeg', 'render']);
  });

  const BAD: [string, unknown, RegExp][] = [
    ['not an object', [], /must hold a JSON object/],
    ['null', null, /must hold a JSON object/],
    ['an unknown key', { worker_timeot: '30s' }, /unknown config key "worker_timeot"/],
    ['a bad duration', { worker_timeout: '30 seconds' }, /^worker_timeout: "30 seconds" is not a duration/],
    ['a duration as a number', { task_timeout: 600 }, /^task_timeout: must be a duration string/],
    ['a zero duration', { worker_timeout: '0s' }, /^worker_timeout: .*longer than zero/],
    ['worker_timeout equal to task_timeout', { worker_timeout: '10m' }, /worker_timeout \(10m\) must be shorter than task_timeout \(10m\)/],
    ['worker_timeout above task_timeout', { worker_timeout: '5m', task_timeout: '1m' }, /worker_timeout \(5m\) must be shorter than task_timeout \(1m\)/],
    ['blocklist_threshold 0', { blocklist_threshold: 0 }, /^blocklist_threshold: /],
    ['fractional task_fail_after_softfail_count', { task_fail_after_softfail_count: 1.5 }, /^task_fail_after_softfail_count: /],
    ['job_fail_share 0', { job_fail_share: 0 }, /^job_fail_share: /],
    ['job_fail_share above 1', { job_fail_share: 10 }, /^job_fail_share: /],
    ['registration_secret not a string', { registration_secret: 42 }, /^registration_secret: /],
    ['a bad listen address', { listen: 'localhost' }, /^listen: "localhost" is not host:port/],
    ['variables not an object', { variables: [] }, /^variables: /],
    ['a bad variable name', { variables: { 'has space': { values: [{ platform: 'linux', value: 'x' }] } } }, /^variables\.has space: /],
    ['a variable without values', { variables: { x: { values: [] } } }, /^variables\.x\.values: /],
    ['a variable with a bad direction', { variables: { x: { direction: 'both', values: [{ platform: 'linux', value: 'x' }] } } }, /^variables\.x\.direction: /],
    ['a value with a bad audience', { variables: { x: { values: [{ platform: 'linux', value: 'x', audience: 'admins' }] } } }, /^variables\.x\.values\[0\]\.audience: /],
    ['a value without platform', { variables: { x: { values: [{ value: 'x' }] } } }, /^variables\.x\.values\[0\]\.platform: /],
    ['a value with an unknown key', { variables: { x: { values: [{ platform: 'linux', value: 'x', os: 'y' }] } } }, /^variables\.x\.values\[0\]: unknown key "os"/],
    ['a relative shared_storage', { shared_storage: 'jobs' }, /^shared_storage: must be an absolute path/],
    ['an addon_version that is no version', { addon_version: 'latest' }, /^addon_version: /],
  ];
  it('reads shared_storage and addon_version (none by default)', () => {
    expect(defaultConfig()).toMatchObject({ shared_storage: null, addon_version: null });
    expect(configFromJson({ shared_storage: '/mnt/render/jobs', addon_version: '3.9' })).toMatchObject({ shared_storage: '/mnt/render/jobs', addon_version: '3.9' });
    expect(configFromJson({ shared_storage: 'S:\\jobs' }).shared_storage).toBe('S:\\jobs');
  });
  for (const [what, doc, pattern] of BAD) {
    it(`refuses ${what}`, () => {
      let err: unknown;
      try {
        configFromJson(doc);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(pattern);
    });
  }
});

describe('parseListen', () => {
  it('reads host:port, :port and [v6]:port', () => {
    expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080, text: '127.0.0.1:8080' });
    expect(parseListen(':9000')).toMatchObject({ host: '0.0.0.0', port: 9000 });
    expect(parseListen('[::1]:80')).toMatchObject({ host: '::1', port: 80 });
    expect(() => parseListen('host:99999')).toThrow(ValidationError);
  });
});
