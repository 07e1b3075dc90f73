/** Workspace: opens config, stores and services for the CLI and the server. */
export { openWorkspace, openDatasetWorkspace, initWorkspace, workspaceStatus } from './workspace.js';
export type { Workspace, DatasetWorkspace, OpenWorkspaceOptions, InitResult, WorkspaceStatus } from './workspace.js';
export { MLOOP_VERSION } from '../config/index.js';
