/** How long typing pauses before a search box asks the server (docs/dashboard.md "Lists at scale"). */
export const SEARCH_DEBOUNCE_MS = 250;

/**
 * `run` called once typing has paused for `ms`; `cancel` drops a pending call (a search box that is
 * submitted with Enter asks at once instead).
 */
export function debounce<A extends unknown[]>(
  run: (...args: A) => void,
  ms = SEARCH_DEBOUNCE_MS,
): { (...args: A): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const call = (...args: A): void => {
    clearTimeout(timer);
    timer = setTimeout(() => run(...args), ms);
  };
  call.cancel = (): void => clearTimeout(timer);
  return call;
}
