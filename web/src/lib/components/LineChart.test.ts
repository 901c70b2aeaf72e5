import { cleanup, render } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import LineChart from './LineChart.svelte';

afterEach(cleanup);

// jsdom has no layout, so no ResizeObserver for `bind:clientWidth`; the chart keeps its default width.
class NoResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= NoResizeObserver as unknown as typeof ResizeObserver;

describe('LineChart', () => {
  it('leaves room left of the axis for its longest y label, "1174 ms" included', () => {
    const { container } = render(LineChart, {
      title: 'Latency',
      unit: ' ms',
      times: ['2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z'],
      series: [{ label: 'total', color: 'red', values: [300, 1174] }],
    });
    const label = [...container.querySelectorAll('text')].find((t) => t.textContent === '1174 ms');
    expect(label).toBeDefined();
    // The label is right-aligned at x: at 12px it needs about 7px a character left of that point.
    const x = Number(label!.getAttribute('x'));
    expect(x).toBeGreaterThanOrEqual('1174 ms'.length * 7);
    const axis = container.querySelector('line.axis');
    expect(Number(axis!.getAttribute('x1'))).toBeGreaterThan(x);
  });

  it('keeps a narrow margin for short labels', () => {
    const { container } = render(LineChart, {
      title: 'Requests',
      times: ['2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z'],
      series: [{ label: 'requests', color: 'red', values: [1, 7] }],
    });
    expect(Number(container.querySelector('line.axis')!.getAttribute('x1'))).toBeLessThanOrEqual(40);
  });
});
