// Counts in messages: "1 failed task", "2 failed tasks". Used by core, the CLI and the dashboard,
// so that no message says "1 tasks".

/** `n` and the noun, plural unless n is 1 (`many` for irregular plurals: entry → entries). */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The verb that goes with n things: `agrees(1, 'blocks', 'block')`. */
export function agrees(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}
