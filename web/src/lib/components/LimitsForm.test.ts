import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import LimitsForm from './LimitsForm.svelte';

afterEach(cleanup);

const type = (label: string, value: string) => fireEvent.input(screen.getByLabelText(label), { target: { value } });

describe('LimitsForm', () => {
  it('shows the stored limits, cost budgets in currency units', () => {
    render(LimitsForm, {
      idPrefix: 'l',
      title: 'Limits',
      initial: { requestsPerMinute: 60, costMicrosPerDay: 2_500_000 },
      onsave: async () => {},
    });
    expect((screen.getByLabelText('Requests per minute') as HTMLInputElement).value).toBe('60');
    expect((screen.getByLabelText('Cost budget per day') as HTMLInputElement).value).toBe('2.5');
    expect((screen.getByLabelText('Tokens per minute') as HTMLInputElement).value).toBe('');
  });

  it("refuses what the server's schema refuses, next to the field, and saves nothing", async () => {
    const onsave = vi.fn(async () => {});
    render(LimitsForm, { idPrefix: 'l', title: 'Limits', initial: null, onsave });
    await type('Requests per minute', '1.5');
    await type('Tokens per minute', '-3');
    await type('Requests per day', 'lots');
    await fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(onsave).not.toHaveBeenCalled();
    expect(document.getElementById('l-requestsPerDay-error')?.textContent).toMatch(/must be a number/);
    await type('Requests per day', '');
    await fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(document.getElementById('l-requestsPerMinute-error')?.textContent).toMatch(/Requests per minute/);
    expect(document.getElementById('l-tokensPerMinute-error')?.textContent).toMatch(/>=\s*0|too small|at least/i);
    expect(screen.getByLabelText('Tokens per minute').getAttribute('aria-invalid')).toBe('true');
    expect(onsave).not.toHaveBeenCalled();
  });

  it('saves counts and micro-unit budgets; all empty clears the limits', async () => {
    const onsave = vi.fn(async (_: Record<string, number> | null) => {});
    render(LimitsForm, { idPrefix: 'l', title: 'Limits', initial: { tokensPerDay: 5 }, onsave });
    await type('Requests per minute', '30');
    await type('Tokens per minute', '20000');
    await type('Cost budget per month', '12.34');
    await fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(onsave).toHaveBeenLastCalledWith({
      requestsPerMinute: 30,
      tokensPerMinute: 20_000,
      tokensPerDay: 5,
      costMicrosPerMonth: 12_340_000,
    });
    for (const label of ['Requests per minute', 'Tokens per minute', 'Cost budget per month', 'Tokens per day'])
      await type(label, '');
    await fireEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(onsave).toHaveBeenLastCalledWith(null);
  });

  it("shows the server's issue next to its field", () => {
    render(LimitsForm, {
      idPrefix: 'l',
      title: 'Limits',
      initial: null,
      serverIssues: [{ path: 'limits.tokensPerMinute', message: 'Too big' }],
      onsave: async () => {},
    });
    expect(document.getElementById('l-tokensPerMinute-error')?.textContent).toBe('Too big');
  });
});
