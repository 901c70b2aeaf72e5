import type { ModelListing } from '../dialect';
import { googleModelsSchema } from './google-api';

/**
 * `GET {endpoint}/v1beta/models` (https://ai.google.dev/api/models#method:-models.list), one page
 * of up to 1000: model names without the `models/` prefix, as the URL of a call takes them.
 */
export const googleModels: ModelListing = {
  path: '/v1beta/models?pageSize=1000',
  parse(body) {
    const parsed = googleModelsSchema.safeParse(body);
    return parsed.success ? parsed.data.models.map((m) => m.name.replace(/^models\//, '')) : null;
  },
};
