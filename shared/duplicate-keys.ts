import { hasControlCharacter } from './printable.ts';

/**
 * JSON objects with a key given twice (`{"host":"db","host":"evil"}`). RFC 8259 leaves their
 * meaning open and readers disagree: JSON.parse keeps the last, others the first or refuse. A
 * secret's author could show one value to a reviewer (or another tool) and the function another,
 * so the secret parsers refuse them (ERR_SECRET_MALFORMED naming the key).
 *
 * A small scanner over text JSON.parse has already accepted, so it only has to tell keys from
 * values: no dependency in the Lambda bundle for a job of thirty lines. Keys are compared after
 * unescaping (`"pass\u0077ord"` is `"password"`), at every depth (the JWT keyring's entries too).
 */

interface Frame {
  /** The keys seen so far in this object; undefined in an array. */
  readonly keys: Set<string> | undefined;
  /** The next string in this object is a key (after `{` or `,`). */
  expectKey: boolean;
}

/** The first key given twice in one object of `text` (valid JSON), or undefined. */
export function findDuplicateKey(text: string): string | undefined {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top?.keys !== undefined && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    } else if (ch === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (ch === '[') stack.push({ keys: undefined, expectKey: false });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',') {
      const top = stack.at(-1);
      if (top?.keys !== undefined) top.expectKey = true;
    }
  }
  return undefined;
}

/**
 * The key as an error may name it (the `field` detail): a short printable name, else undefined
 * (a key is the author's text too: it must not carry escape codes into a log).
 */
export function nameableKey(key: string): string | undefined {
  return key.length > 0 && key.length <= 64 && !hasControlCharacter(key) ? key : undefined;
}

/** The problem text the parsers use: names the key (when nameable), never a value. */
export function duplicateKeyProblem(key: string): string {
  const name = nameableKey(key);
  return (
    `the value gives ${name === undefined ? 'a key' : `key "${name}"`} twice in one object ` +
    `(JSON readers disagree on which counts); give each key once`
  );
}
