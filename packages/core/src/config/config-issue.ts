/** A problem in a configuration document, with the JSON path that holds it. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** `rotations.coding-production.providers[0].weight` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(document)' : out;
}
