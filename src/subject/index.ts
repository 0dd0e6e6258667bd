export {
  validateType,
  validatePattern,
  isValidType,
  isValidPattern,
  matchesPattern,
  type SubjectRule,
} from './subject.js';
export { SubjectIndex, type SubjectIndexOptions } from './subject-index.js';
