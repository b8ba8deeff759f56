// Lookups and writes keyed by user input find and make own properties only.
import { describe, expect, it } from 'vitest';
import { configFromJson } from '../../../src/core/support/config';
import { createLogger, isLogLevel } from '../../../src/core/support/logger';
import { Variables } from '../../../src/core/jobs/variables';
import { ownValue, setOwn } from '../../../src/core/support/own';

describe('own-property lookups', () => {
  it('ownValue ignores Object.prototype members; setOwn keeps "__proto__" as a key', () => {
    const table: Record<string, number> = { a: 1 };
    expect(ownValue(table, 'a')).toBe(1);
    for (const k of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect(ownValue(table, k)).toBeUndefined();
    const out: Record<string, unknown> = {};
    setOwn(out, '__proto__', { polluted: true });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"__proto__": {"polluted": true}}'));
  });

  it('isLogLevel refuses names of Object.prototype members', () => {
    for (const v of ['constructor', 'toString', '__proto__', 'valueOf']) expect(isLogLevel(v)).toBe(false);
    expect(isLogLevel('debug')).toBe(true);
    const lines: string[] = [];
    createLogger('warn', (l) => lines.push(l)).warn('kept');
    expect(lines).toHaveLength(1);
  });

  it('a command setting named "__proto__" survives placeholder replacement', () => {
    const config = configFromJson({
      variables: {
        render: {
          direction: 'two-way',
          values: [
            { platform: 'linux', value: '/mnt/render' },
            { platform: 'windows', value: 'S:/render' },
          ],
        },
      },
    });
    const vars = new Variables(config.variables);
    const settings = JSON.parse('{"__proto__": "S:/render/x", "path": "S:/render/y"}') as Record<string, unknown>;
    const stored = vars.commandsToPlaceholders([{ name: 'exec', settings }])[0]!.settings;
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(stored))).toEqual(JSON.parse('{"__proto__": "{render}/x", "path": "{render}/y"}'));
    const handed = vars.expandCommands([{ name: 'exec', settings: stored }], 'linux')[0]!.settings;
    expect(JSON.parse(JSON.stringify(handed))).toEqual(JSON.parse('{"__proto__": "/mnt/render/x", "path": "/mnt/render/y"}'));
  });

  it('a config variable named "__proto__" is kept, not turned into a prototype', () => {
    const config = configFromJson(JSON.parse('{"variables": {"__proto__": {"values": [{"platform": "linux", "value": "/p"}]}}}'));
    expect(Object.hasOwn(config.variables, '__proto__')).toBe(true);
    expect(Object.hasOwn(config.variables, 'blender')).toBe(true);
  });
});
