export { MODULES, TARGETS, isTarget, modulesFor, type Target } from './modules.js';
export { configReference } from './config-reference.js';
