import type { ModelListing } from '../dialect';
import { ollamaTagsSchema } from './ollama-api';

/** `GET {endpoint}/api/tags`: the models pulled on that Ollama. */
export const ollamaModels: ModelListing = {
  path: '/api/tags',
  parse(body) {
    const parsed = ollamaTagsSchema.safeParse(body);
    if (!parsed.success) return null;
    return parsed.data.models.flatMap((m) => {
      const name = m.model ?? m.name;
      return name === undefined || name === '' ? [] : [name];
    });
  },
};
