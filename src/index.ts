export { HeraldError } from './errors/index.js';
