// `@azure/functions-core` for loaders that resolve modules themselves (jest's moduleNameMapper).
import { coreApi } from './core-api';

export = coreApi;
