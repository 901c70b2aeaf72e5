import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfigItem } from '../config-document';
import { SEED_ROTATIONS } from '../seed-documents.fixture';
import JsonConfigView from './JsonConfigView.svelte';

afterEach(cleanup);

describe('rotation JSON view', () => {
  it("accepts the seed's document and hands over one item per rotation", async () => {
    const onapply = vi.fn(async (_: ConfigItem[]) => {});
    render(JsonConfigView, { kind: 'rotations', onapply });
    await fireEvent.input(screen.getByLabelText('JSON document'), { target: { value: SEED_ROTATIONS } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save JSON' }));
    expect(onapply).toHaveBeenCalledTimes(1);
    const items = onapply.mock.calls[0]?.[0] ?? [];
    expect(items.map((i) => i.id)).toEqual(['coding-production']);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('lists each problem with its path and does not save', async () => {
    const onapply = vi.fn(async (_: ConfigItem[]) => {});
    render(JsonConfigView, { kind: 'rotations', onapply });
    await fireEvent.input(screen.getByLabelText('JSON document'), {
      target: { value: '{"rotations":{"r":{"providers":[{"model":"m","weight":"heavy"}]}}}' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Save JSON' }));
    expect(onapply).not.toHaveBeenCalled();
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('rotations.r.providers[0].provider_id');
    expect(alert.textContent).toContain('rotations.r.providers[0].weight');
    expect(screen.getByLabelText('JSON document').getAttribute('aria-invalid')).toBe('true');
  });

  it('reports invalid JSON instead of throwing', async () => {
    const onapply = vi.fn(async (_: ConfigItem[]) => {});
    render(JsonConfigView, { kind: 'rotations', onapply });
    await fireEvent.input(screen.getByLabelText('JSON document'), { target: { value: '{"rotations": ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save JSON' }));
    expect(onapply).not.toHaveBeenCalled();
    expect(screen.getByRole('alert').textContent).toMatch(/Not valid JSON/);
  });

  it('shows server issues passed back after a save', () => {
    render(JsonConfigView, {
      kind: 'rotations',
      onapply: async () => {},
      serverIssues: [{ path: 'coding-production.providers[1].provider_id', message: 'unknown provider runpod-gpu-a' }],
    });
    expect(screen.getByRole('alert').textContent).toContain('unknown provider runpod-gpu-a');
  });
});
