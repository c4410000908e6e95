export { MODULES, TARGETS, isTarget, modulesFor, type Target } from './modules.js';
