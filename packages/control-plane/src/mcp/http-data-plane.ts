import type { DataPlaneFetch } from '../ports';

/** A data plane reached over HTTP at `baseUrl` (`http://host:port`, no path), with fetch's keep-alive pool. */
export function httpDataPlane(baseUrl: string): DataPlaneFetch {
  const base = baseUrl.replace(/\/+$/, '');
  return (path, init) => fetch(`${base}${path}`, init);
}
