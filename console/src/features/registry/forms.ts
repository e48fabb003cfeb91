// Form failures in words: when the server names a field the form has, the message goes under
// that field (in the user's language where the feature knows the field); otherwise a sentence
// for the whole form. Also the small confirm/prompt wrappers the registry pages share.
import { watch } from 'vue'
import { ElMessageBox } from 'element-plus'
import { ApiError } from '@/api/client'
import { errorMessage } from '@/app/errors'
import { i18n } from '@/i18n'

export interface FormFailure {
  field: string | null
  message: string
}

/** `fieldKeys`: i18n namespace of the form's field messages (`<ns>.<field>`); `codes`: the
 * server's error codes this form explains itself (`already_exists` → i18n key). */
export function formFailure(e: unknown, fieldKeys: string, fields: string[], codes: Record<string, string> = {}): FormFailure {
  const { t, te } = i18n.global
  if (e instanceof ApiError) {
    if (e.field && fields.includes(e.field)) {
      const key = `${fieldKeys}.${e.field}`
      return { field: e.field, message: te(key) ? t(key) : e.message }
    }
    const known = codes[e.code]
    if (known) return { field: null, message: t(known) }
  }
  return { field: null, message: errorMessage(e) }
}

/** A yes/no question; true when confirmed. */
export async function confirm(message: string, title: string, action: string, danger = false): Promise<boolean> {
  const { t } = i18n.global
  try {
    await ElMessageBox.confirm(message, title, {
      type: danger ? 'warning' : 'info',
      confirmButtonText: action,
      cancelButtonText: t('actions.cancel'),
    })
    return true
  } catch {
    return false
  }
}

/** Ask for a required text (at most 500 characters); null when cancelled. */
export async function askText(message: string, title: string, placeholder: string): Promise<string | null> {
  const { t } = i18n.global
  try {
    const r = await ElMessageBox.prompt(message, title, {
      confirmButtonText: t('actions.confirm'),
      cancelButtonText: t('actions.cancel'),
      inputPlaceholder: placeholder,
      inputValidator: (v: string) => v.trim().length > 0 && v.length <= 500,
    })
    return r.value.trim()
  } catch {
    return null
  }
}

/** A field's message goes once the field is edited (`alias`: form key → error key, when they
 * differ). */
export function clearOnEdit(form: Record<string, unknown>, errors: Record<string, string>, alias: Record<string, string> = {}): void {
  watch(
    () => ({ ...form }),
    (now, before) => {
      for (const k of Object.keys(now)) if (now[k] !== before[k]) delete errors[alias[k] ?? k]
    },
  )
}
