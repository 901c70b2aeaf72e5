import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { emptyProviderForm, type ProviderInput } from '../provider-form';
import { PROVIDER_TYPES_FIXTURE as types } from '../provider-types.fixture';
import ProviderForm from './ProviderForm.svelte';

afterEach(cleanup);

async function type(label: RegExp, value: string): Promise<void> {
  await fireEvent.input(screen.getByLabelText(label), { target: { value } });
}

describe('ProviderForm', () => {
  it('shows errors next to the fields and does not save an empty form', async () => {
    const onsave = vi.fn(async (_: ProviderInput) => {});
    render(ProviderForm, { initial: emptyProviderForm(), types, isNew: true, onsave });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onsave).not.toHaveBeenCalled();
    const id = screen.getByLabelText('Provider ID');
    expect(id.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById('provider-id-error')?.textContent).toMatch(/required/);
    expect(document.getElementById('provider-endpoint-error')?.textContent).toMatch(/required/);
  });

  it('saves the seed steps: Provider ID, Type, Endpoint, Token', async () => {
    const onsave = vi.fn(async (_: ProviderInput) => {});
    render(ProviderForm, { initial: emptyProviderForm(), types, isNew: true, onsave });
    await type(/^Provider ID/, 'coderai-local');
    expect((screen.getByLabelText('Type') as HTMLSelectElement).selectedOptions[0]?.textContent).toBe(
      'OpenAI-compatible',
    );
    await type(/^Endpoint/, 'http://coderai-broker.internal:8080/v1');
    await type(/^Token/, 'broker-secret');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onsave).toHaveBeenCalledWith({
      id: 'coderai-local',
      type: 'openai',
      endpoint: 'http://coderai-broker.internal:8080/v1',
      apiKey: 'broker-secret',
      enabled: true,
    });
  });

  it('clears a field error as soon as the user fixes it', async () => {
    render(ProviderForm, { initial: emptyProviderForm(), types, isNew: true, onsave: async () => {} });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(document.getElementById('provider-id-error')).not.toBeNull();
    await type(/^Provider ID/, 'coderai-local');
    expect(document.getElementById('provider-id-error')).toBeNull();
    expect(document.getElementById('provider-endpoint-error')).not.toBeNull();
  });

  it("puts the server's data.issues next to the field they name", () => {
    render(ProviderForm, {
      initial: { ...emptyProviderForm(), id: 'x', endpoint: 'http://h/v1' },
      types,
      isNew: true,
      onsave: async () => {},
      serverIssues: [
        { path: 'input.endpoint', message: 'endpoint is unreachable' },
        { path: 'owner', message: 'no such user' },
      ],
    });
    expect(document.getElementById('provider-endpoint-error')?.textContent).toBe('endpoint is unreachable');
    // An issue no field claims is shown above the form rather than dropped.
    expect(screen.getAllByRole('alert').some((a) => a.textContent?.includes('no such user'))).toBe(true);
  });

  it('on edit keeps the ID read-only and says an empty token keeps the stored key', () => {
    render(ProviderForm, {
      initial: { ...emptyProviderForm(), id: 'coderai-local', endpoint: 'http://h/v1' },
      types,
      isNew: false,
      apiKeyHint: 'sk-…abcd',
      onsave: async () => {},
    });
    expect((screen.getByLabelText('Provider ID') as HTMLInputElement).readOnly).toBe(true);
    expect(screen.getByText(/keep the stored key \(sk-…abcd\)/)).toBeTruthy();
  });

  it("offers every type, fills a preset's endpoint and says what the type needs", async () => {
    const onsave = vi.fn(async (_: ProviderInput) => {});
    render(ProviderForm, { initial: emptyProviderForm(), types, isNew: true, onsave });
    const select = screen.getByLabelText('Type') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual([
      'OpenAI-compatible',
      'Google Gemini',
      'Ollama',
      'Groq',
    ]);
    expect(document.getElementById('provider-type-hint')?.textContent).toMatch(/Needs an endpoint/);
    await fireEvent.change(select, { target: { value: 'groq' } });
    expect((screen.getByLabelText('Endpoint') as HTMLInputElement).value).toBe('https://api.groq.com/openai/v1');
    expect(document.getElementById('provider-type-hint')?.textContent).toBe(
      'Needs an API key. Endpoint: https://api.groq.com/openai/v1 unless you change it.',
    );
    await type(/^Provider ID/, 'groq-main');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onsave).not.toHaveBeenCalled();
    expect(document.getElementById('provider-apiKey-error')?.textContent).toBe('Groq needs an API key');
    await type(/^Token/, 'gsk_test');
    await fireEvent.change(select, { target: { value: 'ollama' } });
    expect((screen.getByLabelText('Endpoint') as HTMLInputElement).value).toBe('http://localhost:11434');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(onsave).toHaveBeenCalledWith({
      id: 'groq-main',
      type: 'ollama',
      endpoint: 'http://localhost:11434',
      apiKey: 'gsk_test',
      enabled: true,
    });
  });
});
