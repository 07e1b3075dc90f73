/** Config: one typed schema for the workspace file and `MLOOP_*` variables; the result is frozen. */
export { loadConfig, readConfigFile, redactUrl, CONFIG_FILE, DATA_DIR } from './config.js';
export type { MloopConfig, LoadConfigOptions, LoadedConfig, SettingSource } from './config.js';
export { SETTINGS } from './settings.js';
export type { SettingSpec, SettingType } from './settings.js';
export { locateWorkspace, isWorkspace } from './workspace-locator.js';
export { renderConfigurationDoc } from './configuration-doc.js';
export { MLOOP_VERSION } from './version.js';
