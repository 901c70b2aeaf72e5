import { cleanup, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveEntry } from '../api-types';
import EntryLiveState from './EntryLiveState.svelte';

afterEach(cleanup);

const NOW = Date.parse('2026-12-06T10:00:00Z');
const healthy = { state: 'healthy' as const, checkedAt: '2026-12-06T09:59:30Z', since: null, error: null };
const entry = (over: Partial<LiveEntry>): LiveEntry => ({
  index: 0,
  providerId: 'lan',
  model: 'm1',
  route: null,
  problem: null,
  errorCooldownS: 60,
  cooldown: null,
  health: { provider: healthy, model: healthy },
  ...over,
});

describe('EntryLiveState', () => {
  it('a cooling entry says until when, how long still and why', () => {
    render(EntryLiveState, {
      now: NOW,
      entry: entry({
        cooldown: {
          until: '2026-12-06T10:00:25Z',
          openedAt: '2026-12-06T09:59:25Z',
          reason: '3 failed attempts in the requests before it opened; last: error, HTTP 503',
        },
      }),
    });
    expect(screen.getByText('cooling down').className).toContain('unhealthy');
    expect(screen.getByText(/in 25 s/)).toBeTruthy();
    expect(screen.getByText(/last: error, HTTP 503/)).toBeTruthy();
  });

  it('a cooldown that ended no longer shows; an old unhealthy mark is half-open, a fresh one unhealthy', () => {
    const { unmount } = render(EntryLiveState, {
      now: NOW,
      entry: entry({
        cooldown: { until: '2026-12-06T09:59:59Z', openedAt: '2026-12-06T09:58:59Z', reason: 'x' },
        health: { provider: healthy, model: { ...healthy, state: 'half-open', error: 'HTTP 503' } },
      }),
    });
    expect(screen.queryByText('cooling down')).toBeNull();
    expect(screen.getAllByText('half-open').length).toBe(2);
    expect(screen.getByText(/HTTP 503/)).toBeTruthy();
    unmount();
    render(EntryLiveState, {
      now: NOW,
      entry: entry({ health: { provider: { ...healthy, state: 'unhealthy', error: 'refused' }, model: healthy } }),
    });
    expect(screen.getAllByText('unhealthy').length).toBe(2);
  });

  it('a route entry has no health; a healthy entry is ready', () => {
    render(EntryLiveState, { now: NOW, entry: entry({ providerId: null, model: null, route: 'x', health: null }) });
    expect(screen.getByText('ready')).toBeTruthy();
    expect(screen.queryByText('provider')).toBeNull();
  });
});
