// The one API client of the console: typed by the generated `schema.d.ts`, so a call that does
// not match the server's document does not compile. The session lives in an HttpOnly cookie the
// browser sends by itself; writes add the session's CSRF token, kept in memory only.
import createClient, { type Middleware } from 'openapi-fetch'
import type { components, paths } from './schema'

export type Schemas = components['schemas']
export type ErrorBody = Schemas['ErrorBodyV1']

let csrfToken: string | null = null
let onSignedOut: (() => void) | null = null

/** The CSRF token of the current session (from the login answer or `GET /v1/console/session`). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token
}

/** Called when the server says the session is gone (401), e.g. to show the login page. */
export function whenSignedOut(f: () => void): void {
  onSignedOut = f
}

const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && csrfToken) {
      request.headers.set('X-CSRF-Token', csrfToken)
    }
    return request
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !request.url.endsWith('/v1/console/session')) onSignedOut?.()
    return response
  },
}

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' })
api.use(session)

/** An answer that was not a success, with the server's code, message and field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string | null,
  ) {
    super(message)
  }
}

/** The data of a successful answer, or an `ApiError` thrown with the server's reason. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response }
  try {
    r = await call
  } catch {
    throw new ApiError(0, 'network', 'network')
  }
  if (r.response.ok) return r.data as T
  const e = (r.error ?? {}) as Partial<ErrorBody>
  throw new ApiError(r.response.status, e.error?.code ?? 'http_' + r.response.status, e.error?.message ?? r.response.statusText, e.error?.field)
}

/** Filters as query parameters: unset and empty ones left out. */
export function withoutEmpty<T extends object>(f: T): Partial<T> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined && v !== null && v !== '')) as Partial<T>
}
