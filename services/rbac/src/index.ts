export { rbacModule } from './module.js';
export { createRbac, type Rbac } from './app.js';
export { rbacConfig, rbacConfigSchema, type RbacConfig } from './config.js';
