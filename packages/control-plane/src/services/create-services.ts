import { detectPrivacy } from '@aisbf/core';
import type { SessionStore } from '../ports';
import { createAuthService } from './auth.service';
import { createAutoselectDryRun, type PrivacyDetector } from './autoselect-dry-run';
import { createConfigService } from './config.service';
import { createLiveStateService } from './live-state.service';
import { createLoginRateLimiter, type LoginRateLimiter } from './login-rate-limiter';
import { createProvidersService } from './providers.service';
import { createRouteConfigsService } from './route-configs.service';
import { createServiceContext, type ServiceDeps } from './service-deps';
import { createSystemService } from './system.service';
import { createTokensService } from './tokens.service';
import { createUsageService } from './usage.service';
import { createUsersService } from './users.service';

export interface CreateServicesDeps extends ServiceDeps {
  sessions: SessionStore;
  loginLimiter?: LoginRateLimiter;
  sessionTtlMs?: number;
  /** Default: core's local detector, the same the data plane runs. */
  privacyDetector?: PrivacyDetector;
}

const defaultDetector: PrivacyDetector = (text, extraPatterns) => detectPrivacy(text, { extraPatterns });

/** The one service layer (docs/architecture.md "Control plane"): GraphQL and tRPC are thin transports over these. */
export function createServices(deps: CreateServicesDeps) {
  const ctx = createServiceContext(deps);
  const autoselects = createRouteConfigsService(ctx, 'autoselect');
  return {
    auth: createAuthService(ctx, {
      sessions: deps.sessions,
      limiter: deps.loginLimiter ?? createLoginRateLimiter({ now: ctx.clock }),
      ...(deps.sessionTtlMs !== undefined ? { sessionTtlMs: deps.sessionTtlMs } : {}),
    }),
    users: createUsersService(ctx, deps.sessions),
    tokens: createTokensService(ctx),
    providers: createProvidersService(ctx),
    rotations: { ...createRouteConfigsService(ctx, 'rotation'), liveState: createLiveStateService(ctx).rotations },
    autoselects: { ...autoselects, dryRun: createAutoselectDryRun(ctx, deps.privacyDetector ?? defaultDetector) },
    config: createConfigService(ctx),
    usage: createUsageService(ctx),
    system: createSystemService(ctx),
  };
}

export type Services = ReturnType<typeof createServices>;
