// Characters a terminal or a log reader acts on rather than shows: C0 controls (escape sequences,
// carriage return, backspace), DEL, C1 controls (NEL ends a line for some readers) and the
// Unicode line and paragraph separators. Text from the network (job names, worker nicknames,
// user agents) holding them could rewrite what an admin sees in a terminal or forge a log line.

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters meant
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters meant
const ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` with each control character written as a \uXXXX escape. */
export function escapeControlCharacters(text: string): string {
  return text.replace(ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
