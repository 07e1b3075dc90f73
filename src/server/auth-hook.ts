/** Authenticates every request and authorizes it against its route's declared access. */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
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

/**
 * The onRequest hook of one route's access, made once when the route is registered (reading
 * `request.routeOptions` per request builds a dozen-field object each time). `undefined` access is
 * the not-found route's: a token is still required.
 */
function accessHook(auth: AuthService, access: Exclude<RouteAccess, { public: true }> | undefined): onRequestHookHandler {
  return (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    let token: string | undefined;
    try {
      token = bearer(request);
    } catch (err) {
      done(err as Error);
      return;
    }
    auth.authenticate(token).then((principal) => {
      request.principal = principal;
      let denied: Error | undefined;
      if (access !== undefined && 'action' in access) {
        try {
          const project = access.project?.(request);
          authorize(principal, access.action, project === undefined ? {} : { project });
        } catch (err) {
          denied = err as Error;
        }
      }
      done(denied);
    }, done);
  };
}

/** Installs the route check and the per-request authentication hooks. */
export function installAuth(app: FastifyInstance, auth: AuthService): void {
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: RouteAccess } | undefined)?.access;
    if (access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access; every route must`);
    }
    if ('public' in access) return;
    // A route-level hook runs after the global ones, as the global hook this replaces did (it was added last).
    const hook = accessHook(auth, access);
    const own = route.onRequest;
    route.onRequest = own === undefined ? [hook] : [...(Array.isArray(own) ? own : [own]), hook];
  });
  // Unmatched URLs (404s) still require a token, so the API's shape is not revealed to strangers.
  const notFound = accessHook(auth, undefined);
  app.addHook('onRequest', (request, reply, done) => {
    if (request.is404) notFound.call(app, request, reply, done);
    else done();
  });
}
