export {
  validateType,
  validatePattern,
  isValidType,
  isValidPattern,
  matchesPattern,
  MAX_SUBJECT_LENGTH,
  type SubjectRule,
} from './subject.js';
export { SubjectIndex, type SubjectIndexOptions } from './subject-index.js';
