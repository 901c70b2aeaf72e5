/**
 * A vendor path under a provider endpoint's path. Vendors' SDKs take the endpoint without the API
 * version (`https://api.anthropic.com`); an endpoint written with it (`…/v1`) is not doubled.
 */
export function vendorPath(basePath: string, path: string): string {
  const base = basePath.replace(/\/+$/, '');
  const version = /^\/v\d+[a-z0-9]*(?=\/)/.exec(path)?.[0];
  if (version !== undefined && base.endsWith(version)) return base + path.slice(version.length);
  return base + path;
}
