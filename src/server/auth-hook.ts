/** Authenticates every request and authorizes it against its route's declared access. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorize, type AuthService } from '../auth/index.js';
import { MloopError } from '../errors/index.js';
import type { RouteAccess } from './access.js';

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw MloopError.unauthenticated('the Authorization header must be "Bearer <token>"');
  return match[1];
}

/** Installs the route check and the per-request authentication hook. */
export function installAuth(app: FastifyInstance, auth: AuthService): void {
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: RouteAccess } | undefined)?.access;
    if (access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access; every route must`);
    }
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // Unmatched URLs (404s) still require a token, so the API's shape is not revealed to strangers.
    if (access !== undefined && 'public' in access) return;
    const principal = await auth.authenticate(bearer(request));
    request.principal = principal;
    if (access !== undefined && 'action' in access) {
      const project = access.project?.(request);
      authorize(principal, access.action, project === undefined ? {} : { project });
    }
  });
}
