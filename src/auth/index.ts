/** Auth: users, roles (globally or per project), bearer tokens, the permission matrix and the audit log. */
export { ROLES, ACTIONS, ROLE_PERMISSIONS, GLOBAL_SCOPE } from './auth.js';
export type { Role, Action, User, RoleGrant, ApiToken, Principal } from './auth.js';
export { authorize, isAllowed } from './authorize.js';
export type { Resource } from './authorize.js';
export type { AuthStore, AuditEntry, NewToken } from './auth-store.js';
export { SqlAuthStore } from './sql-auth-store.js';
export { AuthService, hashToken, localPrincipal, parseRoleSpec, TOKEN_PREFIX } from './auth-service.js';
export type { CreatedToken } from './auth-service.js';
