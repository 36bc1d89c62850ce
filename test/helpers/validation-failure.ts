import { ValidationError } from '../../shared/errors';

/** Everything a ValidationError carries, for an exact comparison; rethrows anything else so the test shows it. */
export function validationFailure(error: unknown): Record<string, unknown> {
  if (!(error instanceof ValidationError)) throw error;
  const { name, code, status, field, rule, message } = error;
  return { name, code, status, field, rule, message };
}

/** The {@link validationFailure} of a ValidationError with these properties. */
export function failure(field: string, rule: string, message: string): Record<string, unknown> {
  return { name: 'ValidationError', code: 'VALIDATION_FAILED', status: 400, field, rule, message };
}
