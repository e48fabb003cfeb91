// Simplified Chinese first, English as a switch; the choice is kept in the browser. Every text
// a user reads comes from here: the shell's messages plus each feature's, under its id.
import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import en from './en'
import { features } from '@/features'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: Locale[] = ['zh-CN', 'en']
const KEY = 'console.locale'

function messages(locale: Locale): Record<string, unknown> {
  const shell = locale === 'zh-CN' ? zhCN : en
  const own = Object.fromEntries(features.map((f) => [f.id, f.messages[locale]]))
  return { ...shell, ...own }
}

function saved(): Locale {
  const v = localStorage.getItem(KEY)
  return v === 'en' ? 'en' : 'zh-CN'
}

type Messages = Record<string, unknown>

export const i18n = createI18n<[Messages], Locale, false>({
  legacy: false,
  locale: saved(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': messages('zh-CN'), en: messages('en') },
  missingWarn: false,
  fallbackWarn: false,
})

export function setLocale(l: Locale): void {
  i18n.global.locale.value = l
  localStorage.setItem(KEY, l)
  document.documentElement.lang = l
}
