/**
 * Every error that reaches a client carries a stable machine code and a human
 * message. The code is part of the API contract; the message may change.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  toJSON(): { error: { code: string; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export const badRequest = (code: string, message: string, details?: Record<string, unknown>): AppError =>
  new AppError(400, code, message, details);
export const notFound = (code: string, message: string): AppError => new AppError(404, code, message);
export const conflict = (code: string, message: string): AppError => new AppError(409, code, message);

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
