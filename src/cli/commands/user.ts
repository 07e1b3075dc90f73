import type { Command } from 'commander';
import { localPrincipal, ROLES } from '../../auth/index.js';
import { table } from '../context.js';
import { collect } from '../options.js';
import type { Runner } from '../program.js';

export function registerUser(program: Command, run: Runner): void {
  const user = program.command('user').description('manage users and their roles');
  const roleHelp = `role, or role:project to limit it to one project; roles: ${ROLES.join(', ')}`;
  user
    .command('create')
    .description('create a user')
    .argument('<name>', 'user name (lowercase letters, digits, . _ -)')
    .option('--role <role>', `${roleHelp} (repeatable, comma-separated)`, collect, [])
    .action(
      run(async (ctx, name: string, opts: { role: string[] }) => {
        const u = await ctx.withWorkspace((ws) => ws.auth.createUser(localPrincipal(), name, opts.role));
        ctx.emit(
          { id: u.id, name: u.name, roles: u.grants.map((g) => ({ role: g.role, scope: g.scope })) },
          (r) => `Created user '${r.name}' with roles: ${r.roles.map((g) => (g.scope === '*' ? g.role : `${g.role}:${g.scope}`)).join(', ') || 'none'}.\nCreate a token for them with 'mloop token create --user ${r.name}'.`,
        );
      }),
    );
  user
    .command('list')
    .description('list users and roles')
    .action(
      run(async (ctx) => {
        const users = await ctx.withWorkspace((ws) => ws.auth.listUsers(localPrincipal()));
        const out = users.map((u) => ({ id: u.id, name: u.name, created_at: u.createdAt, roles: u.grants.map((g) => ({ role: g.role, scope: g.scope })) }));
        ctx.emit({ users: out }, (r) =>
          table(['name', 'roles', 'created'], r.users.map((u) => [u.name, u.roles.map((g) => (g.scope === '*' ? g.role : `${g.role}:${g.scope}`)).join(', '), u.created_at])),
        );
      }),
    );
  user
    .command('grant')
    .description('grant a role')
    .argument('<name>', 'user name')
    .argument('<role>', roleHelp)
    .action(
      run(async (ctx, name: string, role: string) => {
        const added = await ctx.withWorkspace((ws) => ws.auth.grant(localPrincipal(), name, role));
        ctx.emit({ user: name, role, added }, (r) => (r.added ? `Granted ${r.role} to '${r.user}'.` : `'${r.user}' holds ${r.role} already.`));
      }),
    );
  user
    .command('revoke')
    .description('revoke a role')
    .argument('<name>', 'user name')
    .argument('<role>', roleHelp)
    .action(
      run(async (ctx, name: string, role: string) => {
        await ctx.withWorkspace((ws) => ws.auth.revoke(localPrincipal(), name, role));
        ctx.emit({ user: name, role, revoked: true }, (r) => `Revoked ${r.role} from '${r.user}'.`);
      }),
    );
}
