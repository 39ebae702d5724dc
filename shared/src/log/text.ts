/**
 * Text checks shared by the note and checkpoint parsers (C2SP signed-note §Format).
 */

/** ASCII control characters other than newline, which notes must not contain. */
const CONTROL_RE = /[\u0000-\u0009\u000b-\u001f]/;

/** No lone UTF-16 surrogates: the text has an exact UTF-8 encoding. */
const WELL_FORMED_RE = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

function hasControlCharacters(text: string): boolean {
  return CONTROL_RE.test(text);
}

function isWellFormedUnicode(text: string): boolean {
  return WELL_FORMED_RE.test(text);
}

export { hasControlCharacters, isWellFormedUnicode };
