export { rbacModule } from './module.js';
export { rbacConfig, rbacConfigSchema, type RbacConfig } from './config.js';
