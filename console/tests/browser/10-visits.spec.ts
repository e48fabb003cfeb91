// Visitor appointments as staff see them: a resident (registered by staff, signed up in the app)
// is asked for two visits by a visitor; the resident approves one in the app. The community
// worker finds both in the console — when, the ±1 h window the boxes open in, who visits whom
// (phones masked), the reason (markup stays text) and the state in words — narrows the list by
// status and to today, and opens the visitor's passes. Another community's worker does not see
// them. axe-core checks the page; it carries the viewer's watermark.
import { test, expect, type APIRequestContext } from '@playwright/test'
import { env } from './env'
import { choose, expectAccessible, expectNothingInjected, login, shot, watchErrors } from './helpers'

const stamp = Date.now()
const base = `/v1/communities/${env.communityId}`
const appPassword = 'visit-pass-2026'
// Phones unique to this run (11 digits, mobile prefix 139).
const hostPhone = `139${String(stamp).slice(-8)}`
const visitorPhone = `137${String(stamp).slice(-8)}`
const hostName = `住户${stamp % 100000}`
const visitorName = `访客${stamp % 100000}`
const approvedReason = `<img src=x onerror="window.__pwned=1">送快递 ${stamp}`
const pendingReason = `探亲 ${stamp}`

async function bearer(api: APIRequestContext, username: string, password: string): Promise<string> {
  const r = await api.post('/v1/auth/login', { data: { username, password } })
  expect(r.status(), `login ${username}: ${await r.text()}`).toBe(200)
  return ((await r.json()) as { token: string }).token
}

async function call<T>(api: APIRequestContext, token: string, method: 'get' | 'post' | 'put', path: string, data?: unknown): Promise<T> {
  const r = await api[method](path, { data, headers: { authorization: `Bearer ${token}` } })
  expect(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`).toBe(true)
  return (await r.json()) as T
}

test.beforeAll(async ({ playwright }) => {
  const api = await playwright.request.newContext({ baseURL: process.env.CONSOLE_URL })
  const admin = await bearer(api, env.adminUser, env.password)
  // The host: registered by staff with a phone and a home in the community's first estate.
  const estates = await call<{ items: { id: string }[] }>(api, admin, 'get', `${base}/estates`)
  const tree = await call<{ buildings: { units: { rooms: { id: string }[] }[] }[] }>(api, admin, 'get', `${base}/estates/${estates.items[0]?.id ?? ''}`)
  const room = tree.buildings.flatMap((b) => b.units).flatMap((u) => u.rooms)[0]
  if (!room) throw new Error('the stack has no room to register the host in')
  const host = await call<{ id: string }>(api, admin, 'post', `${base}/people`, { name: hostName, kind: 'local', phone: hostPhone })
  await call(api, admin, 'post', `${base}/people/${host.id}/addresses`, { room_id: room.id })
  const { activation_code } = await call<{ activation_code: string }>(api, admin, 'post', `${base}/people/${host.id}/activation`)
  // Both sign up in the app; the visitor asks twice (in 30 minutes and tomorrow).
  let r = await api.post('/v1/app/signup', { data: { phone: hostPhone, name: hostName, password: appPassword, role: 'resident', activation_code } })
  expect(r.status(), await r.text()).toBe(201)
  r = await api.post('/v1/app/signup', { data: { phone: visitorPhone, name: visitorName, password: appPassword, role: 'visitor' } })
  expect(r.status(), await r.text()).toBe(201)
  const hostApp = await bearer(api, hostPhone, appPassword)
  const visitorApp = await bearer(api, visitorPhone, appPassword)
  const soon = await call<{ id: string }>(api, visitorApp, 'post', '/v1/app/visits', { host_phone: hostPhone, visit_at_ms: Date.now() + 30 * 60_000, reason: approvedReason })
  await call(api, visitorApp, 'post', '/v1/app/visits', { host_phone: hostPhone, visit_at_ms: Date.now() + 26 * 3_600_000, reason: pendingReason })
  await call(api, hostApp, 'post', `/v1/app/visits/${soon.id}/decide`, { approve: true })
  await api.dispose()
})

test('staff see who is expected, when and by whom; filter by status and today; open the visitor\'s passes', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  await page.locator('[data-test=menu-visits]').click()
  await expect(page.locator('h1')).toHaveText('访客预约')
  await expect(page.locator('[data-test=watermark]')).toHaveAttribute('data-who', env.staffUser)

  const rows = page.locator('[data-test=visit-table] .el-table__body tr', { hasText: visitorName })
  await expect(rows).toHaveCount(2)
  const approved = rows.filter({ hasText: '送快递' })
  const pending = rows.filter({ hasText: '探亲' })
  await expect(approved.locator('[data-test=visit-state]')).toHaveText('已批准')
  await expect(pending.locator('[data-test=visit-state]')).toHaveText('待审批')
  // The reason is text, the phones masked, the host named, the window two hours wide.
  await expect(approved.locator('[data-test=visit-reason]')).toHaveText(approvedReason)
  await expect(approved.locator('[data-test=visit-visitor-phone]')).toHaveText(`${visitorPhone.slice(0, 3)}****${visitorPhone.slice(-4)}`)
  await expect(approved).not.toContainText(visitorPhone)
  await expect(approved).not.toContainText(hostPhone)
  await expect(approved.locator('[data-test=visit-host]')).toHaveText(hostName)
  const windowText = (await approved.locator('[data-test=visit-window]').innerText()).trim()
  const m = /可通行 (\d\d):(\d\d)–(\d\d):(\d\d)/.exec(windowText)
  expect(m, windowText).toBeTruthy()
  const [h1 = 0, m1 = 0, h2 = 0, m2 = 0] = (m as RegExpExecArray).slice(1).map(Number)
  expect((h2 * 60 + m2 - (h1 * 60 + m1) + 1440) % 1440).toBe(120)
  await expectNothingInjected(page)
  await expectAccessible(page, 'the visitor appointments')
  await shot(page, 'visits')

  // Pending only, then approved only (the status the server keeps).
  await choose(page, page.locator('[data-test=visit-status]'), '待审批', true)
  await page.locator('[data-test=search]').click()
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText('探亲')
  await choose(page, page.locator('[data-test=visit-status]'), '已批准', true)
  await page.locator('[data-test=search]').click()
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText('送快递')
  // Today: the visit in 30 minutes is today unless that crosses midnight in Shanghai; tomorrow's is not.
  await choose(page, page.locator('[data-test=visit-status]'), '全部', true)
  await page.locator('[data-test=visits-today]').click()
  const crossesMidnight = new Date(Date.now() + 30 * 60_000 + 8 * 3_600_000).getUTCDate() !== new Date(Date.now() + 8 * 3_600_000).getUTCDate()
  await expect(rows).toHaveCount(crossesMidnight ? 0 : 1)

  // The visitor's passes: the pass log filtered to that person.
  await page.locator('[data-test=search]').click()
  await page.getByRole('button', { name: '重置' }).click()
  await expect(rows).toHaveCount(2)
  await approved.locator('[data-test=visit-passes]').click()
  await expect(page.locator('h1')).toHaveText('通行记录')
  await expect(page).toHaveURL(/person_id=/)
  await expect(page.locator('[data-test=filter-person]')).not.toHaveValue('')
  expect(seen.errors).toEqual([])
})

test('another community does not see these visits, and its page is refused to this worker', async ({ page, playwright }) => {
  // The street admin reads community B's list: these visits are not in it.
  const api = await playwright.request.newContext({ baseURL: process.env.CONSOLE_URL })
  const admin = await bearer(api, env.adminUser, env.password)
  const other = await call<{ items: { visitor: string }[] }>(api, admin, 'get', `/v1/communities/${env.otherCommunityId}/visits`)
  expect(other.items.map((v) => v.visitor)).not.toContain(visitorName)
  await api.dispose()
  // Community A's worker opening B's page is told plainly, and the server refuses the route.
  await login(page, env.staffUser)
  await page.goto(`/c/${env.otherCommunityId}/visits`)
  await expect(page.locator('[data-test=forbidden]')).toContainText('此社区不在您的账号范围内')
  await expect(page.locator('[data-test=visit-table]')).toHaveCount(0)
  const r = await page.request.get(`/v1/communities/${env.otherCommunityId}/visits`)
  expect(r.status()).toBe(403)
})
