// Turns a failed call into words staff act on: the server's code in the user's language where
// the console knows it, otherwise the server's own message.
import { ApiError } from '@/api/client'
import { i18n } from '@/i18n'

export function errorMessage(e: unknown): string {
  const { t, te } = i18n.global
  if (e instanceof ApiError) {
    if (e.code === 'invalid_field' || e.field) return t('errors.invalid_field', { field: `${e.field ?? ''} ${e.message}`.trim() })
    if (te('errors.' + e.code)) return t('errors.' + e.code)
    return t('errors.generic', { message: e.message })
  }
  return t('errors.generic', { message: String(e) })
}
