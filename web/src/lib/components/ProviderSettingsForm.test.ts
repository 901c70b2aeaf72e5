import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Provider } from '../api-types';
import { keepOnEdit, type ProviderSettingsInput } from '../provider-settings';
import ProviderSettingsForm from './ProviderSettingsForm.svelte';

afterEach(cleanup);

const provider: Provider = {
  id: 'lan',
  scope: 'user',
  owner: 'alice',
  type: 'openai',
  endpoint: 'http://lan.internal:8080/v1',
  apiKeyHint: 'sk-…abcd',
  enabled: true,
  adminOnly: false,
  models: [
    { name: 'm1', contextWindow: 8192, pricing: { prompt: 0.5, completion: 1.5 } },
    { name: 'm2', prefill: true },
  ],
  settings: { timeout_connect_s: 2, retry: { backoff_ms: 100 }, cache: { ttl_s: 60 }, aisbf_extra: 'kept' },
  headers: ['X-Org'],
  health: { status: 'unknown', models: [] },
};

const type = (label: string, value: string) => fireEvent.input(screen.getByLabelText(label), { target: { value } });

describe('ProviderSettingsForm', () => {
  it('shows the stored settings, header values redacted, and sends unchanged headers as null', async () => {
    const onsave = vi.fn(async (_: ProviderSettingsInput) => {});
    render(ProviderSettingsForm, { provider, onsave });
    expect((screen.getByLabelText('Connect timeout (s)') as HTMLInputElement).value).toBe('2');
    expect((screen.getByLabelText('Header 1 name') as HTMLInputElement).value).toBe('X-Org');
    const value = screen.getByLabelText('Header 1 value') as HTMLInputElement;
    expect(value.value).toBe('');
    expect(value.type).toBe('password');
    expect((screen.getByLabelText('Prompt price of m1') as HTMLInputElement).value).toBe('0.5');
    await type('Max concurrency', '4');
    await type('Completion price of m2', '2');
    await fireEvent.click(screen.getByRole('button', { name: 'Add header' }));
    await type('Header 2 name', 'X-Team');
    await type('Header 2 value', 'team-a');
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(onsave).toHaveBeenCalledWith({
      id: 'lan',
      type: 'openai',
      endpoint: 'http://lan.internal:8080/v1',
      enabled: true,
      cache: { ttl_s: 60 },
      aisbf_extra: 'kept',
      timeout_connect_s: 2,
      retry: { backoff_ms: 100 },
      max_concurrency: 4,
      health_probe: 'free',
      headers: { 'X-Org': null, 'X-Team': 'team-a' },
      models: [
        { name: 'm1', context_window: 8192, pricing: { prompt: 0.5, completion: 1.5 } },
        { name: 'm2', prefill: true, pricing: { completion: 2 } },
      ],
    });
  });

  it("refuses what the server's provider schema refuses, each error next to its field", async () => {
    const onsave = vi.fn(async () => {});
    render(ProviderSettingsForm, { provider, onsave });
    await type('Connect timeout (s)', '0');
    await type('Same-entry retries', '9');
    await type('Max concurrency', 'x');
    await type('Prompt price of m1', '-1');
    await fireEvent.click(screen.getByRole('button', { name: 'Add header' }));
    await type('Header 2 name', 'X-New');
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(onsave).not.toHaveBeenCalled();
    expect(document.getElementById('settings-max_concurrency-error')?.textContent).toMatch(/must be a number/);
    expect(document.getElementById('header-1-value-error')?.textContent).toMatch(/required for a new header/);
    // The next save reports the schema's range errors once the typed values parse.
    await type('Max concurrency', '2');
    await type('Header 2 value', 'v');
    await fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(onsave).not.toHaveBeenCalled();
    expect(document.getElementById('settings-timeout_connect_s-error')?.textContent).toBeTruthy();
    expect(document.getElementById('settings-same-entry-error')?.textContent).toBeTruthy();
    expect(document.getElementById('model-0-prompt-error')?.textContent).toBeTruthy();
    expect(screen.getByLabelText('Prompt price of m1').getAttribute('aria-invalid')).toBe('true');
  });

  it("shows the server's header issue on that header's value", () => {
    render(ProviderSettingsForm, {
      provider,
      serverIssues: [{ path: 'headers.X-Org', message: 'expected string' }],
      onsave: async () => {},
    });
    expect(document.getElementById('header-0-value-error')?.textContent).toBe('expected string');
  });
});

describe('keepOnEdit', () => {
  it('the basic Edit form keeps settings, headers (unchanged) and the prices of models still listed', () => {
    const input = { id: 'lan', type: 'openai', endpoint: 'http://new:1/v1', enabled: true, models: ['m1', 'm3'] };
    expect(keepOnEdit(provider, input)).toEqual({
      ...provider.settings,
      headers: { 'X-Org': null },
      ...input,
      models: [{ name: 'm1', context_window: 8192, pricing: { prompt: 0.5, completion: 1.5 } }, 'm3'],
    });
  });
});
