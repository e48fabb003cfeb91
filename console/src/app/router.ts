// The routes: the login page, then every feature's pages inside the shell, community pages under
// /c/:cid/ and street pages under /street/. A page the account may not open, or a community
// outside its scope, shows a plain refusal (the server refuses the data anyway).
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { features } from '@/features'
import { useSession } from './session'
import { i18n } from '@/i18n'
import type { Access } from './feature'

declare module 'vue-router' {
  interface RouteMeta {
    access?: Access
    title?: string
    public?: boolean
    personalData?: boolean
  }
}

function children(scope: 'community' | 'street'): RouteRecordRaw[] {
  return features
    .filter((f) => f.scope === scope)
    .flatMap((f) => f.pages)
    .map((p) => ({ path: p.path, name: p.name, component: p.component, meta: { access: p.access, title: p.title, personalData: p.personalData === true } }))
}

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/features/auth/pages/LoginPage.vue'), meta: { public: true } },
  { path: '/c/:cid', component: () => import('./ShellLayout.vue'), children: children('community') },
  { path: '/street', component: () => import('./ShellLayout.vue'), children: children('street') },
  { path: '/', name: 'root', redirect: () => home() },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('./NotFoundPage.vue'), meta: { public: true } },
]

const GROUP_ORDER = ['overview', 'access', 'safety', 'registry', 'cases', 'street']

/** Where an account starts: the first menu page it may open (its community's pages first). */
export function home(): string {
  const s = useSession()
  const pages = features
    .flatMap((f) => f.pages.map((p) => ({ scope: f.scope, p })))
    .filter(({ scope, p }) => p.menu && s.can(p.access) && (scope === 'street' || s.communityId))
    .sort((a, b) => (a.scope === b.scope ? 0 : a.scope === 'community' ? -1 : 1) || GROUP_ORDER.indexOf(a.p.menu?.group ?? '') - GROUP_ORDER.indexOf(b.p.menu?.group ?? '') || (a.p.menu?.order ?? 0) - (b.p.menu?.order ?? 0))
  const first = pages[0]
  if (!first) return '/login'
  return first.scope === 'community' ? `/c/${s.communityId}/${first.p.path}` : `/street/${first.p.path}`
}

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  const s = useSession()
  if (!s.loaded) await s.load()
  if (to.meta.public) return true
  if (!s.session) return { name: 'login', query: { next: to.fullPath } }
  const cid = typeof to.params.cid === 'string' ? to.params.cid : null
  if (cid && s.mayWorkOn(cid) && s.communityId !== cid) s.chooseCommunity(cid)
  return true
})

router.afterEach((to) => {
  const t = i18n.global.t
  document.title = to.meta.title ? `${t(to.meta.title)} · ${t('app.title')}` : t('app.title')
})
