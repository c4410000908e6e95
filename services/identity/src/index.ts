export { identityModule } from './module.js';
export { insertConnection } from './store/sso-connections.js';
