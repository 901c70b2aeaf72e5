/** The two JSON documents of shared/seed/aisbf-integration-guide.txt, verbatim. */
export const SEED_ROTATIONS = {
  rotations: {
    'coding-production': {
      model_name: 'coding-production',
      providers: [
        { provider_id: 'coderai-local', model: 'qwen2.5-coder:32b', weight: 6, error_cooldown: 60 },
        { provider_id: 'runpod-gpu-a', model: 'deepseek-coder-v2', weight: 3, error_cooldown: 120 },
        { provider_id: 'openai-prod', model: 'gpt-4.1-mini', weight: 1, error_cooldown: 300 },
      ],
      privacy: true,
      capabilities: ['chat', 'coding', 'tool_use'],
    },
  },
};

export const SEED_AUTOSELECTS = {
  engineering: {
    model_name: 'engineering',
    selection_model: 'general',
    fallback: 'user-rotation/coding-production',
    classify_privacy: true,
    classify_semantic: true,
    available_models: [
      {
        model_id: 'user-rotation/coding-production',
        description: 'Private code, logs, secrets, customer data.',
        privacy: true,
      },
      {
        model_id: 'user-provider/runpod-gpu-a/deepseek-coder-v2',
        description: 'Long refactors and GPU-heavy coding when data is not secret.',
      },
      {
        model_id: 'user-provider/openai-prod/gpt-4.1-mini',
        description: 'Fast hosted fallback for non-private tasks.',
      },
    ],
  },
};
