// Splitting a command line into words the way Flamenco Worker 2.5 does (Python's shlex.split in
// its default POSIX mode): the words of an `exec` command's `cmd`, of `blender_cmd` and of
// `ffmpeg_cmd` must be the same whichever worker generation runs them.

export class ShlexError extends Error {}

const WHITESPACE = ' \t\r\n';

/**
 * The words of `line`. Single quotes keep everything literally; inside double quotes a backslash
 * escapes only `"` and `\` (otherwise it stays); outside quotes a backslash escapes any character.
 * Quotes join with adjacent text into one word, and an empty pair of quotes is an empty word.
 * Throws ShlexError on an unclosed quote or a trailing backslash, as Python raises ValueError.
 */
export function shlexSplit(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (WHITESPACE.includes(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError('No closing quotation');
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new ShlexError('No closing quotation');
        const d = line[i]!;
        if (d === '"') break;
        if (d === '\\') {
          if (i + 1 >= line.length) throw new ShlexError('No escaped character');
          const next = line[i + 1]!;
          word += next === '"' || next === '\\' ? next : `\\${next}`;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new ShlexError('No escaped character');
      word += line[i + 1]!;
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}
