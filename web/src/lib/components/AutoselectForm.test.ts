import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SEED_AUTOSELECT } from '../seed-documents.fixture';
import AutoselectForm from './AutoselectForm.svelte';

afterEach(cleanup);

const seed = JSON.parse(SEED_AUTOSELECT).engineering as Record<string, unknown>;

describe('AutoselectForm', () => {
  it('requires a selection model only while semantic classification is on', async () => {
    const onsave = vi.fn(async () => {});
    render(AutoselectForm, { isNew: true, onsave });
    await fireEvent.input(screen.getByLabelText('Autoselect ID'), { target: { value: 'engineering' } });
    await fireEvent.input(screen.getByLabelText('Fallback'), { target: { value: 'user-rotation/coding-production' } });
    await fireEvent.input(screen.getByLabelText('Route'), { target: { value: 'user-rotation/coding-production' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save autoselect' }));
    expect(onsave).not.toHaveBeenCalled();
    expect(document.getElementById('autoselect-selection-error')?.textContent).toMatch(/required/);
    await fireEvent.click(screen.getByLabelText('Let the selection model choose'));
    await fireEvent.click(screen.getByRole('button', { name: 'Save autoselect' }));
    expect(onsave).toHaveBeenCalledTimes(1);
  });

  it("round-trips the seed's engineering autoselect unchanged", async () => {
    const onsave = vi.fn(async (_id: string, _c: Record<string, unknown>) => {});
    render(AutoselectForm, { initialId: 'engineering', initialConfig: seed, isNew: false, onsave });
    await fireEvent.click(screen.getByRole('button', { name: 'Save autoselect' }));
    const [id, config] = onsave.mock.calls[0] ?? [];
    expect(id).toBe('engineering');
    // The form adds explicit defaults (privacy false, empty description) but changes nothing the seed set.
    expect(config).toMatchObject(seed);
  });
  it('saves the aliases typed in the form', async () => {
    const onsave = vi.fn(async (_id: string, _c: Record<string, unknown>) => {});
    render(AutoselectForm, { initialId: 'engineering', initialConfig: seed, isNew: false, onsave });
    await fireEvent.input(screen.getByLabelText('Aliases'), { target: { value: ' claude-*,  gpt-5-codex ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save autoselect' }));
    expect(onsave.mock.calls[0]?.[1]).toMatchObject({ aliases: ['claude-*', 'gpt-5-codex'] });
  });
});
