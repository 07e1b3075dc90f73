/** The one authorization function every route and command passes through. */
import { MloopError } from '../errors/index.js';
import { GLOBAL_SCOPE, ROLE_PERMISSIONS, type Action, type Principal } from './auth.js';

/** What is being acted on: for project-scoped roles, the project. */
export interface Resource {
  /** The project (labeling project, model) the action touches; omitted for workspace-wide actions. */
  project?: string;
}

/** True when `principal` may perform `action` on `resource`. Grants limited to a project count only for it. */
export function isAllowed(principal: Principal, action: Action, resource: Resource = {}): boolean {
  return principal.grants.some(
    (g) =>
      (g.scope === GLOBAL_SCOPE || (resource.project !== undefined && g.scope === resource.project)) &&
      ROLE_PERMISSIONS[g.role].includes(action),
  );
}

/**
 * Throws PERMISSION_DENIED unless `principal` may perform `action` on `resource`.
 *
 * @example
 * authorize(request.principal, 'models:promote', { project: 'support' });
 */
export function authorize(principal: Principal, action: Action, resource: Resource = {}): void {
  if (!isAllowed(principal, action, resource)) {
    const where = resource.project === undefined ? '' : ` on project '${resource.project}'`;
    throw MloopError.permissionDenied(`user '${principal.userName}' may not ${action}${where}`, {
      details: { action, ...(resource.project === undefined ? {} : { project: resource.project }) },
    });
  }
}
