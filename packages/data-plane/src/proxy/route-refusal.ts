import { GatewayError, type RouteError } from '@aisbf/core';
import { badRequest } from '../http/openai-error';

/** A route name that does not resolve, as the client's error (`model` is the parameter at fault). */
export function routeRefusal(e: RouteError): GatewayError {
  if (e.kind === 'config')
    return new GatewayError('INTERNAL', e.message, { wireCode: 'route_misconfigured', path: 'model' });
  if (e.kind === 'invalid') return badRequest(e.message, 'model', 'invalid_model');
  return new GatewayError('NOT_FOUND', e.message, { wireCode: 'model_not_found', path: 'model' });
}
