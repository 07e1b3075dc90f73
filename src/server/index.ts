/** Server: the Fastify HTTP API with auth on every route, one error body, OpenAPI and graceful shutdown. */
export { buildServer } from './build-server.js';
export type { BuildServerOptions, ServerState } from './build-server.js';
export { runServer, createLogger, listenError } from './run-server.js';
export type { RunningServer, RunServerOptions } from './run-server.js';
export type { RouteAccess } from './access.js';
