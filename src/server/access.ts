/**
 * Route access declarations. Every route must declare its access in `config.access`; registering
 * a route without one throws at startup, so no route is unauthenticated by accident.
 */
import type { FastifyRequest } from 'fastify';
import type { Action, Principal } from '../auth/index.js';

export type RouteAccess =
  /** No token needed: only liveness and readiness. */
  | { public: true }
  /** Any valid token. */
  | { authenticated: true }
  /** A valid token whose user may perform `action` (on the project `project(request)` names, if any). */
  | { action: Action; project?: (request: FastifyRequest) => string | undefined };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}
