/**
 * Message length as platforms count it (`len_unit`, relay-connector-contract.md §5). Its own module
 * so the wire schemas can use it without importing the capability layer (which imports them).
 * @module
 */

/** Count Unicode code points, as Python's `len` does (`"😀"` is 1). */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low surrogate is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** Count UTF-16 code units (JavaScript's `.length`; Telegram's unit). */
export function utf16Length(text: string): number {
  return text.length;
}
