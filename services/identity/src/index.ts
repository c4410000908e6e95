export { identityModule } from './module.js';
