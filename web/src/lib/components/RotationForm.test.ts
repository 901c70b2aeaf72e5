import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import RotationForm from './RotationForm.svelte';

afterEach(cleanup);

const seedConfig = {
  model_name: 'coding-production',
  providers: [
    { provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: 6, error_cooldown: 60 },
    {
      provider_id: 'runpod-gpu-a',
      model: 'deepseek-coder-v2',
      weight: 3,
      error_cooldown: 120,
      timeout_first_token_s: 5,
    },
    { provider_id: 'openai-prod', model: 'gpt-4.1-mini', weight: 1, error_cooldown: 300 },
  ],
  privacy: true,
  capabilities: ['chat', 'coding', 'tool_use'],
};

describe('RotationForm', () => {
  it('shows weights as shares and updates them when the strategy changes', async () => {
    render(RotationForm, {
      initialId: 'coding-production',
      initialConfig: seedConfig,
      isNew: false,
      onsave: async () => {},
    });
    expect(screen.getByText('100% (primary)')).toBeTruthy();
    await fireEvent.change(screen.getByLabelText('Strategy'), { target: { value: 'weighted' } });
    expect(['60%', '30%', '10%'].every((p) => screen.getByText(p))).toBe(true);
  });

  it('saves the edited config and keeps keys the form does not edit', async () => {
    const onsave = vi.fn(async (_id: string, _c: Record<string, unknown>) => {});
    render(RotationForm, { initialId: 'coding-production', initialConfig: seedConfig, isNew: false, onsave });
    await fireEvent.input(screen.getByLabelText('Cooldown (s)', { selector: '#entry-0-cooldown' }), {
      target: { value: '30' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Save rotation' }));
    expect(onsave).toHaveBeenCalledTimes(1);
    const [id, config] = onsave.mock.calls[0] ?? [];
    expect(id).toBe('coding-production');
    expect(config).toMatchObject({ privacy: true, capabilities: ['chat', 'coding', 'tool_use'], strategy: 'priority' });
    const providers = (config as { providers: Array<Record<string, unknown>> }).providers;
    expect(providers[0]).toEqual({
      provider_id: 'coderai-local',
      model: 'qwen2.5-coder:32b',
      weight: 6,
      error_cooldown: 30,
    });
    expect(providers[1]?.['timeout_first_token_s']).toBe(5);
  });

  it('marks missing entry fields and a bad id instead of saving', async () => {
    const onsave = vi.fn(async () => {});
    render(RotationForm, { isNew: true, onsave });
    await fireEvent.input(screen.getByLabelText('Rotation ID'), { target: { value: 'Not A Slug' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save rotation' }));
    expect(onsave).not.toHaveBeenCalled();
    expect(document.getElementById('rotation-id-error')?.textContent).toMatch(/slug/);
    expect(document.getElementById('entry-0-provider-error')?.textContent).toMatch(/required/);
    expect(document.getElementById('entry-0-model-error')?.textContent).toMatch(/required/);
  });

  it('edits a rotation with an autoselect entry: shown as a route, saved as one, required like a provider', async () => {
    const onsave = vi.fn(async (_id: string, _c: Record<string, unknown>) => {});
    const config = {
      providers: [
        { route: 'user-autoselect/engineering', weight: 5 },
        { provider_id: 'openai-prod', model: 'gpt-4.1-mini', weight: 1 },
      ],
    };
    render(RotationForm, { initialId: 'front', initialConfig: config, isNew: false, onsave });
    expect((screen.getByLabelText('Route') as HTMLInputElement).value).toBe('user-autoselect/engineering');
    expect((document.getElementById('entry-0-kind') as HTMLSelectElement).value).toBe('route');
    await fireEvent.click(screen.getByRole('button', { name: 'Save rotation' }));
    const providers = (onsave.mock.calls[0]?.[1] as { providers: Array<Record<string, unknown>> }).providers;
    expect(providers[0]).toEqual({ route: 'user-autoselect/engineering', weight: 5, error_cooldown: 60 });
    expect(providers[1]).toMatchObject({ provider_id: 'openai-prod', model: 'gpt-4.1-mini' });
    await fireEvent.input(screen.getByLabelText('Route'), { target: { value: ' ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save rotation' }));
    expect(onsave).toHaveBeenCalledTimes(1);
    expect(document.getElementById('entry-0-route-error')?.textContent).toMatch(/required/);
  });
  it('saves aliases as a list and refuses a * that is not at the end', async () => {
    const onsave = vi.fn(async (_id: string, _c: Record<string, unknown>) => {});
    render(RotationForm, {
      initialId: 'coding-production',
      initialConfig: { ...seedConfig, aliases: ['gpt-5-codex'] },
      isNew: false,
      onsave,
    });
    const field = screen.getByLabelText('Aliases') as HTMLInputElement;
    expect(field.value).toBe('gpt-5-codex');
    await fireEvent.input(field, { target: { value: 'gpt-5-codex, cl*ude' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save rotation' }));
    expect(onsave).not.toHaveBeenCalled();
    expect(screen.getByText(/an alias is an exact model name or a prefix ending in \*/)).toBeTruthy();
    await fireEvent.input(field, { target: { value: 'gpt-5-codex, claude-*' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save rotation' }));
    expect(onsave.mock.calls[0]?.[1]).toMatchObject({ aliases: ['gpt-5-codex', 'claude-*'] });
  });
});
