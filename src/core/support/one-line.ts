// Activities can be long and hold several lines (a Python traceback, Blender's last words); a
// table row shows one line of them, the task's own page all of it. Used by the CLI and the dashboard.

/** The first non-empty line, trimmed, with " …" when more lines follow: what a table row shows. */
export function firstLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length === 0) return '';
  return lines.length === 1 ? lines[0]! : `${lines[0]} …`;
}

/** Every line on one row, joined by " ⏎ ": all of the text where one row must hold it (`-o wide`). */
export function allOnOneRow(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ⏎ ');
}
