// What a feature folder declares (src/features/<name>/feature.ts): its pages with their route,
// the route class the server checks for them (`x-access` in the API document), where they sit
// in the menu, and the feature's texts in both languages. The shell builds the router, the menu
// and the i18n messages from every feature it finds; nothing else needs editing.
import type { Component } from 'vue'

/** The server's route classes a page can need (see `rights` in the console session). */
export type Access = 'account' | 'street' | 'community' | 'cases'

export interface FeaturePage {
  /** Route path under its scope: `/c/:cid/<path>` for community pages, `/street/<path>`. */
  path: string
  name: string
  component: () => Promise<Component>
  access: Access
  /** i18n key of the page title (breadcrumb, window title). */
  title: string
  /** The page shows personal data (names with phones, ID numbers, faces): the shell lays a
   *  faint watermark with the viewer's account and the time over it. */
  personalData?: boolean
  /** Shown in the left menu under `group`, ordered by `order`. */
  menu?: { group: MenuGroup; order: number; icon: Component }
}

export type MenuGroup = 'overview' | 'access' | 'safety' | 'registry' | 'cases' | 'street'

export interface Feature {
  /** Folder name; also the i18n namespace of its messages (`t('<id>.…')`). */
  id: string
  scope: 'community' | 'street'
  pages: FeaturePage[]
  messages: { 'zh-CN': Record<string, unknown>; en: Record<string, unknown> }
}

export function defineFeature(f: Feature): Feature {
  return f
}
