import { normalizeUsername } from '@aisbf/core';
import { findUserByUsername, createDatabase, updateUser } from '@aisbf/db';
import { generatePassword, hashPassword } from '@aisbf/secrets';
import { defaultDatabaseUrl } from '../data-dir';
import type { Env } from '../env';

/**
 * `aisbf admin reset-password [username]`: the way back in when the admin password printed on first
 * start is lost. It writes the database directly, like `aisbf migrate`, because whoever runs it
 * already holds the database (the data dir or AISBF_DATABASE_URL); no running gateway is needed.
 * The new password is AISBF_ADMIN_PASSWORD when set, else generated and printed once.
 */
export async function runAdmin(env: Env, args: readonly string[]): Promise<number> {
  const [action, typed = 'admin'] = args;
  // The one spelling usernames are stored and looked up under (`Admin ` finds `admin`).
  const username = normalizeUsername(typed);
  if (action !== 'reset-password') {
    console.error('usage: aisbf admin reset-password [username]   (default username: admin)');
    return 2;
  }
  const handle = createDatabase(env.AISBF_DATABASE_URL ?? defaultDatabaseUrl(env.AISBF_DATA_DIR));
  try {
    const user = await findUserByUsername(handle.db, username);
    if (user === undefined) {
      console.error(`aisbf: no user "${username}" in this database (has the gateway been started once?)`);
      return 1;
    }
    const password = env.AISBF_ADMIN_PASSWORD ?? generatePassword();
    await updateUser(handle.db, user.id, { passwordHash: await hashPassword(password) }, Date.now());
    console.log(
      env.AISBF_ADMIN_PASSWORD === undefined
        ? `password of "${username}" reset to: ${password}\n(shown once; sign in and change it, or set AISBF_ADMIN_PASSWORD to choose it)`
        : `password of "${username}" set from AISBF_ADMIN_PASSWORD`,
    );
    return 0;
  } finally {
    await handle.close();
  }
}
