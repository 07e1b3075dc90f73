import type { Command } from 'commander';
import { localPrincipal, type ApiToken } from '../../auth/index.js';
import { table } from '../context.js';
import { parseIntOption } from '../options.js';
import type { Runner } from '../program.js';

function tokenJson(t: ApiToken) {
  return {
    id: t.id,
    user: t.userName,
    name: t.name,
    prefix: t.prefix,
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    last_used_at: t.lastUsedAt,
    revoked_at: t.revokedAt,
  };
}

export function registerToken(program: Command, run: Runner): void {
  const token = program.command('token').description('create, list and revoke API tokens');
  token
    .command('create')
    .description('create a token for a user; the secret is printed once')
    .requiredOption('--user <name>', 'user the token belongs to')
    .option('--name <label>', 'label to tell tokens apart', 'default')
    .option('--expires-in-days <days>', 'expire after this many days', parseIntOption(1, 3650))
    .action(
      run(async (ctx, opts: { user: string; name: string; expiresInDays?: number }) => {
        const created = await ctx.withWorkspace((ws) =>
          ws.auth.createToken(localPrincipal(), {
            user: opts.user,
            name: opts.name,
            ...(opts.expiresInDays === undefined ? {} : { expiresInDays: opts.expiresInDays }),
          }),
        );
        ctx.emit({ token: created.token, info: tokenJson(created.info) }, (r) =>
          [
            `Token ${r.info.id} for '${r.info.user}' (${r.info.name}${r.info.expires_at ? `, expires ${r.info.expires_at}` : ''}).`,
            'It is shown only once; keep it somewhere safe:',
            '',
            `  ${r.token}`,
          ].join('\n'),
        );
      }),
    );
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--user <name>', "only this user's tokens")
    .action(
      run(async (ctx, opts: { user?: string }) => {
        const tokens = await ctx.withWorkspace((ws) => ws.auth.listTokens(localPrincipal(), opts.user === undefined ? {} : { user: opts.user }));
        ctx.emit({ tokens: tokens.map(tokenJson) }, (r) =>
          r.tokens.length === 0
            ? 'no tokens'
            : table(
                ['id', 'user', 'name', 'prefix', 'created', 'last used', 'state'],
                r.tokens.map((t) => [t.id, t.user, t.name, `${t.prefix}…`, t.created_at, t.last_used_at, t.revoked_at ? 'revoked' : t.expires_at && t.expires_at <= new Date().toISOString() ? 'expired' : 'active']),
              ),
        );
      }),
    );
  token
    .command('revoke')
    .description('revoke a token by id or prefix')
    .argument('<id>', 'token id (tok_…) or its prefix (mlp_…)')
    .action(
      run(async (ctx, id: string) => {
        const revoked = await ctx.withWorkspace((ws) => ws.auth.revokeToken(localPrincipal(), id));
        ctx.emit(tokenJson(revoked), (t) => `Revoked token ${t.id} of '${t.user}'.`);
      }),
    );
}
