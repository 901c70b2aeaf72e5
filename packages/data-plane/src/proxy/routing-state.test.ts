import { describe, expect, it } from 'vitest';
import { createRoutingState } from './routing-state';

describe('createRoutingState', () => {
  it('takes turns per route, and forgets the least recently used route past its bound', () => {
    const state = createRoutingState({ clock: () => 0 });
    expect([state.nextTurn('r/a'), state.nextTurn('r/a'), state.nextTurn('r/b')]).toEqual([0, 1, 0]);
    // Every route a node ever served would otherwise stay in memory for good.
    for (let i = 0; i < 50_000; i++) state.nextTurn(`user-rotation/u${i}`);
    expect(state.nextTurn('r/a')).toBe(0);
    expect(state.nextTurn('user-rotation/u49999')).toBe(1);
    state.close();
  });
});
