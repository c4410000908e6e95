export { rbacModule } from './module.js';
