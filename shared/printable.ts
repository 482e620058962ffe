/**
 * Identifiers from a secret (user names, hosts, kids, ARNs, ids) end up in log lines, error
 * messages and an operator's terminal. One holding control characters could rewrite that
 * terminal (ANSI escapes), forge log lines (newlines) or hide text (bidi overrides), so the
 * parsers refuse them, naming the field and never echoing the value.
 */

/** C0 controls, DEL, C1 controls, zero-width and bidirectional formatting characters. */
const CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}
