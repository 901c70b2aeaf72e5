// A client-only SPA: the control plane serves build/ with index.html as the fallback for every path.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
