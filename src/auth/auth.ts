/** Users, roles, tokens and the permission matrix. */

/** The closed set of roles. */
export const ROLES = Object.freeze(['admin', 'owner', 'engineer', 'reviewer', 'annotator', 'viewer'] as const);
export type Role = (typeof ROLES)[number];

/** Scope of a global grant. Any other scope names one project (a labeling project, a model). */
export const GLOBAL_SCOPE = '*';

export interface User {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  disabledAt: string | null;
}

export interface RoleGrant {
  role: Role;
  /** `*` for global, else the project the role is limited to. */
  scope: string;
  grantedAt: string;
  grantedBy: string;
}

/** A token as listed: never the secret itself. */
export interface ApiToken {
  id: string;
  userId: string;
  userName: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Who is calling: a user with their grants. The local CLI acts as a built-in admin principal. */
export interface Principal {
  userId: string;
  userName: string;
  grants: readonly RoleGrant[];
  /** Token id the request came with, if any. */
  tokenId?: string;
}

/**
 * Every action a route or command can ask permission for. Managing one's own tokens needs no
 * action: every active user may do it, whatever their roles. Later issues add actions here and
 * rows to {@link ROLE_PERMISSIONS}; routes only name the action.
 */
export const ACTIONS = Object.freeze([
  'workspace:read',
  'users:read',
  'users:manage',
  'tokens:manage-all',
  'datasets:read',
  'datasets:write',
  'labeling:annotate',
  'labeling:review',
  'labeling:manage',
  'models:read',
  'models:write',
  'models:promote',
  'approvals:decide',
  'serving:predict',
  'serving:deploy',
  'review:answer',
  'monitoring:read',
  'monitoring:manage',
  'jobs:read',
  'jobs:manage',
] as const);
export type Action = (typeof ACTIONS)[number];

const READ: Action[] = ['workspace:read', 'datasets:read', 'models:read', 'monitoring:read', 'jobs:read'];

/** The permission matrix: which actions each role allows. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Action[]>> = Object.freeze({
  admin: ACTIONS,
  owner: [...READ, 'users:read', 'datasets:write', 'labeling:manage', 'labeling:review', 'review:answer', 'approvals:decide', 'models:promote'],
  engineer: [
    ...READ,
    'users:read',
      'datasets:write',
    'labeling:manage',
    'models:write',
    'models:promote',
    'serving:predict',
    'serving:deploy',
    'monitoring:manage',
    'jobs:manage',
  ],
  reviewer: [...READ, 'labeling:annotate', 'labeling:review', 'review:answer'],
  annotator: ['labeling:annotate'],
  viewer: [...READ],
});
