import type { EnsureAdminResult } from '@aisbf/control-plane';

/**
 * What the boot did about the first admin, in words, so a password is never set or ignored without
 * the operator seeing it. Called only once the server listens: a start that fails earlier (a port
 * in use) has created no admin yet, so the next start still creates one and prints its password.
 */
export function reportAdmin(admin: EnsureAdminResult, passwordFromEnv: boolean): string[] {
  if (admin.created && admin.generatedPassword !== undefined)
    return [
      `first start: admin user "${admin.username}" created with password: ${admin.generatedPassword}`,
      '(shown once; set AISBF_ADMIN_PASSWORD to choose it, `aisbf admin reset-password` if it is lost)',
    ];
  if (admin.created) return [`first start: admin user "${admin.username}" created with AISBF_ADMIN_PASSWORD`];
  if (passwordFromEnv)
    return [
      `AISBF_ADMIN_PASSWORD is set but an admin already exists: no password was changed ` +
        `(to set it: \`aisbf admin reset-password ${admin.username}\` with AISBF_ADMIN_PASSWORD set)`,
    ];
  return [];
}
