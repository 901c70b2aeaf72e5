/** Route aliases in the forms: one comma-separated text field (docs/clients.md "Route aliases"). */
export const aliasText = (value: unknown): string =>
  Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string').join(', ') : '';

export const parseAliases = (text: string): string[] =>
  text
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');

/** The form's message for the first bad alias, or null (the server's schema is the same rule). */
export function aliasProblem(aliases: readonly string[]): string | null {
  const bad = aliases.find((a) => !/^[^\s*]*\*?$/.test(a));
  return bad === undefined ? null : `"${bad}": an alias is an exact model name or a prefix ending in *`;
}
