// Cases, worked by the people who work them: the street admin reports a case through the form
// (category cascade, grid levels, a photo previewed before it is sent, a problem written in
// markup that must stay text), finds it in the pending list and narrows the list by number and
// keyword (in the URL, so a reload keeps it), downloads the list and the case; files it and
// dispatches it to a dispatcher picked by name, who (seeing grid names and filtering by grid)
// assigns it to a field worker picked by name, who asks for more time, which the admin approves —
// each through the buttons the server offers that account, the history growing (with user names,
// not account ids) and the offered operations changing at every step. The list and the detail
// carry the viewer's watermark. A second, similar report shows the first as a likely duplicate. A
// smoke alarm raised at the real box becomes a case from the alarm drawer, which then links to
// that case (also when opened again). axe-core checks the list, the form, the detail, the op
// dialogs and the alarm's dialog and drawer.
import { test, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test'
import { env } from './env'
import { choose, expectAccessible, expectNothingInjected, login, publishSmoke, shot, watchErrors } from './helpers'

const stamp = Date.now()
const cid = env.communityId
const base = `/v1/communities/${cid}`
const c = `/c/${cid}`
const problem = `<img src=x onerror="window.__pwned=1">小区东门井盖缺失 ${stamp}`
const description = '<b>夜间</b>无照明，行人易绊倒'

/** What the setup made (unique per run) and what the first test leaves for the others. */
const made = {
  token: '',
  grid: { id: '', name: `东片网格${stamp}` },
  subGrid: { id: '', name: `东门片区${stamp}` },
  dispatcher: { id: '', username: `dispatcher-${stamp}` },
  worker: { id: '', username: `field-${stamp}` },
  firstNumber: '',
}

async function call(api: APIRequestContext, method: 'get' | 'post' | 'put', path: string, data?: unknown): Promise<unknown> {
  const r = await api[method](path, { data, headers: { authorization: `Bearer ${made.token}` } })
  expect(r.ok(), `${method} ${path}: ${r.status()} ${await r.text()}`).toBe(true)
  return r.status() === 204 ? null : await r.json()
}

/** The personal-data watermark over the page names the signed-in account. */
async function expectWatermark(page: Page, user: string): Promise<void> {
  await expect(page.locator('[data-test=watermark]')).toHaveAttribute('data-who', user)
}

async function logout(page: Page): Promise<void> {
  await page.locator('[data-test=logout]').click()
  await expect(page).toHaveURL(/\/login/)
}

/** The operations offered on the case detail, by code. */
async function offered(page: Page): Promise<string[]> {
  const ops = page.locator('[data-test=case-ops] button')
  return (await ops.evaluateAll((bs) => bs.map((b) => b.getAttribute('data-test') ?? ''))).map((s) => s.replace(/^op-/, '')).sort()
}

async function runOp(page: Page, op: string, title: string, fill: (dialog: Locator) => Promise<void>): Promise<void> {
  await page.locator(`[data-test=op-${op}]`).click()
  const dialog = page.getByRole('dialog', { name: title })
  await expect(dialog).toBeVisible()
  await fill(dialog)
  await dialog.locator('[data-test=op-submit]').click()
  await expect(dialog).toBeHidden()
}

async function openCase(page: Page, view: string, number: string): Promise<void> {
  await page.goto(`${c}/cases?view=${view}&number=${encodeURIComponent(number)}`)
  const row = page.locator('[data-test=case-table] .el-table__body tr', { hasText: number })
  await expect(row).toHaveCount(1)
  await row.locator('[data-test=case-number]').click()
  await expect(page.locator('[data-test=detail-number]')).toHaveText(number)
}

/** Report through the form; answers the new case's number. */
async function report(page: Page, text: string, withPhoto: boolean): Promise<string> {
  await page.locator('[data-test=report-open]').click()
  await expect(page.locator('h1')).toHaveText('上报案件')
  // The cascade: a middle category only once a major is chosen, a minor once a middle is.
  await expect(page.locator('[data-test=category-minor] input')).toBeDisabled()
  await choose(page, page.locator('[data-test=category-major]'))
  await choose(page, page.locator('[data-test=category-middle]'))
  await choose(page, page.locator('[data-test=category-minor]'))
  await choose(page, page.locator('[data-test=grid-level1]'), made.grid.name)
  await choose(page, page.locator('[data-test=grid-level2]'), made.subGrid.name)
  await page.locator('[data-test=report-location]').fill(`东门 3 号楼旁 ${stamp}`)
  await page.locator('[data-test=report-problem]').fill(text)
  await page.locator('[data-test=report-description]').fill(description)
  if (withPhoto) {
    await page.locator('#report-files').setInputFiles(env.facePhoto)
    // Previewed, uploaded (the button waits for uploads), enlarges on click.
    await expect(page.locator('[data-test=attachment-preview] img')).toBeVisible()
    await expect(page.locator('[data-test=report-submit]')).toBeEnabled()
    await page.locator('[data-test=attachment-preview]').click()
    await expect(page.locator('.el-image-viewer__wrapper')).toBeVisible()
    await page.keyboard.press('Escape')
    await expect(page.locator('.el-image-viewer__wrapper')).toBeHidden()
    await shot(page, 'case-form')
    await expectAccessible(page, 'the report form')
  }
  await page.locator('[data-test=report-submit]').click()
  const result = page.locator('[data-test=report-made]')
  await expect(result).toContainText('案件已上报')
  const number = /编号 (\S+?)。/.exec((await result.textContent()) ?? '')?.[1]
  expect(number, 'the new case number').toBeTruthy()
  return number as string
}

test.describe.configure({ mode: 'serial' })
// A step that cannot happen fails with its reason, not at the end of the whole story's time.
test.use({ actionTimeout: 20_000 })

test.beforeAll(async ({ playwright }) => {
  const api = await playwright.request.newContext({ baseURL: process.env.CONSOLE_URL })
  const r = await api.post('/v1/auth/login', { data: { username: env.adminUser, password: env.password } })
  expect(r.status()).toBe(200)
  made.token = ((await r.json()) as { token: string }).token
  // Grids of this run (so its duplicates are its own), a dispatcher and a field worker of the
  // community: the street admin makes them; nothing that exists is changed.
  made.grid.id = ((await call(api, 'post', `${base}/grids`, { name: made.grid.name, level: 1 })) as { id: string }).id
  made.subGrid.id = ((await call(api, 'post', `${base}/grids`, { name: made.subGrid.name, level: 2, parent_id: made.grid.id })) as { id: string }).id
  for (const [who, role] of [[made.dispatcher, 'dispatcher'], [made.worker, 'field_staff']] as const) {
    who.id = ((await call(api, 'post', '/v1/street/accounts', { username: who.username, password: env.password, role, community_id: cid })) as { id: string }).id
  }
  // The category tree is the street's; set one only where there is none.
  const tree = (await call(api, 'get', `${base}/case-categories`)) as { majors: unknown[] }
  if (tree.majors.length === 0) {
    await call(api, 'put', '/v1/street/case-categories', {
      majors: [{ code: 'facilities', name: '公共设施', children: [{ code: 'road', name: '道路设施', children: [{ code: 'manhole_cover', name: '井盖缺失破损', children: [] }] }] }],
    })
  }
  await api.dispose()
})

test('a case is reported, listed, filtered, exported, and worked through by four accounts', async ({ page }) => {
  test.setTimeout(240_000)
  const seen = watchErrors(page)
  await login(page, env.adminUser)
  await page.locator('[data-test=menu-cases]').click()
  await expect(page.locator('h1')).toHaveText('案件管理')
  await expect(page.locator('[data-test=case-views] [role=tab]', { hasText: '待处理' })).toBeVisible()
  await expect(page.locator('[data-test=case-views] [role=tab]', { hasText: '分转任务' })).toHaveCount(0)

  // ---- the report form ---------------------------------------------------------------------
  const number = await report(page, problem, true)
  made.firstNumber = number
  await shot(page, 'case-reported')

  // ---- the pending list, narrowed by number and keyword, kept in the URL ------------------
  await page.goto(`${c}/cases`)
  await page.locator('[data-test=case-views] [role=tab]', { hasText: '待处理' }).click()
  await expect(page).toHaveURL(/view=pending/)
  const rows = page.locator('[data-test=case-table] .el-table__body tr')
  const mine = rows.filter({ hasText: number })
  await expect(mine).toHaveCount(1)
  await expect(mine.locator('[data-test=case-status]')).toHaveText('待处理')
  await expect(mine.locator('[data-test=case-problem]')).toHaveText(problem)
  await expect(mine.locator('[data-test=case-grid]')).toHaveText(made.subGrid.name)
  await expectWatermark(page, env.adminUser)
  await shot(page, 'case-list')
  await expectAccessible(page, 'the case list')
  await page.locator('[data-test=filter-number]').fill(number)
  await page.locator('[data-test=search]').click()
  await expect(page).toHaveURL(new RegExp(`number=${number}`))
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText(number)
  await page.reload()
  await expect(page.locator('[data-test=filter-number]')).toHaveValue(number)
  await expect(rows).toHaveCount(1)
  await page.locator('[data-test=reset]').click()
  await page.locator('[data-test=filter-keyword]').fill(`井盖缺失 ${stamp}`)
  await page.locator('[data-test=search]').click()
  await expect(page).toHaveURL(/keyword=/)
  await expect(rows.filter({ hasText: number })).toHaveCount(1)
  await page.locator('[data-test=filter-keyword]').fill(`不存在的关键词${stamp}`)
  await page.locator('[data-test=search]').click()
  await expect(page.locator('[data-test=case-table]')).toContainText('此列表暂无案件')

  // The spreadsheet of the list shown: the same view and filters.
  const xlsx = page.locator('[data-test=export-xlsx]')
  const href = (await xlsx.getAttribute('href')) ?? ''
  expect(href).toContain('view=pending')
  expect(href).toContain('keyword=')
  const download = page.waitForEvent('download')
  await xlsx.click()
  expect((await download).suggestedFilename()).toBe('cases.xlsx')
  const sheet = await page.request.get(href.replace(/keyword=[^&]*/, `number=${number}`))
  expect(sheet.status()).toBe(200)
  expect(sheet.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')

  // ---- the detail: fields in words, the photo, markup as text --------------------------------
  await openCase(page, 'pending', number)
  await expect(page.locator('[data-test=detail-status]')).toHaveText('待处理')
  await expect(page.locator('[data-test=detail-problem]')).toHaveText(problem)
  await expect(page.locator('[data-test=detail-description]')).toHaveText(description)
  await expect(page.locator('[data-test=case-fields]')).toContainText('工作人员上报')
  await expect(page.locator('[data-test=case-fields]')).toContainText(`${made.grid.name} / ${made.subGrid.name}`)
  await page.locator('[data-test=files-report] [data-test=case-image]').click()
  await expect(page.locator('.el-image-viewer__wrapper')).toBeVisible()
  await page.keyboard.press('Escape')
  await expect(page.locator('.el-image-viewer__wrapper')).toBeHidden()
  await expect(page.locator('[data-test=detail-reporter]')).toHaveText(`${env.adminUser}（我） · 街道管理员`)
  await expectWatermark(page, env.adminUser)
  const history = page.locator('[data-test=history-entry]')
  await expect(history).toHaveCount(1)
  await expect(history.first().locator('[data-test=history-actor]')).toHaveText(`${env.adminUser}（我） · 街道管理员`)
  expect(await offered(page)).toEqual(['file', 'mark_duplicate', 'void'])
  await shot(page, 'case-detail-pending')
  await expectAccessible(page, 'the case detail')
  await expectNothingInjected(page)

  // The Word document and the print page of the case.
  const docx = await page.request.get((await page.locator('[data-test=export-docx]').getAttribute('href')) ?? '')
  expect(docx.status()).toBe(200)
  expect(docx.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document')
  expect(await page.locator('[data-test=print]').getAttribute('target')).toBe('_blank')
  const print = await page.request.get((await page.locator('[data-test=print]').getAttribute('href')) ?? '')
  expect(print.status()).toBe(200)
  expect(print.headers()['content-type']).toContain('text/html')

  // ---- file, dispatch (admin) ------------------------------------------------------------------
  await runOp(page, 'file', '立案', async (d) => {
    await d.locator('[data-test=op-not-duplicate]').fill('现场核实为新发问题')
  })
  await expect(page.locator('[data-test=detail-status]')).toHaveText('已立案')
  await expect(history).toHaveCount(2)
  expect(await offered(page)).toEqual(['assign', 'dispatch'])
  await runOp(page, 'dispatch', '分转', async (d) => {
    // Only dispatchers are offered, by user name.
    await choose(page, d.locator('[data-test=op-dispatcher]'), made.dispatcher.username, false, 'case-op-dispatch-open')
    await expect(d.locator('[data-test=op-dispatcher]')).toContainText(made.dispatcher.username)
    await d.locator('[data-test=op-note]').fill('请分配给网格员')
    await expectAccessible(page, 'the dispatch dialog')
  })
  await expect(history).toHaveCount(3)
  await expect(history.nth(2)).toContainText(`分转给 ${made.dispatcher.username} · 分转员`)
  await expect(page.locator('[data-test=detail-dispatcher]')).toHaveText(`${made.dispatcher.username} · 分转员`)
  await shot(page, 'case-detail-dispatched')
  await logout(page)

  // ---- the dispatcher assigns it to the field worker --------------------------------------------
  await login(page, made.dispatcher.username)
  await expect(page.locator('[data-test=case-views] [role=tab]', { hasText: '分转任务' })).toBeVisible()
  // A case worker reads grid names and narrows the list by grid.
  await page.goto(`${c}/cases?view=dispatch`)
  await expect(rows.filter({ hasText: number }).locator('[data-test=case-grid]')).toHaveText(made.subGrid.name)
  await expectWatermark(page, made.dispatcher.username)
  await choose(page, page.locator('[data-test=filter-grid]'), made.grid.name)
  await page.locator('[data-test=search]').click()
  await expect(page).toHaveURL(new RegExp(`grid=${made.grid.id}`))
  await expect(rows).toHaveCount(1)
  await expect(rows.first()).toContainText(number)
  await expect(page.locator('[data-test=filter-grid]')).toContainText(made.grid.name)
  await shot(page, 'case-list-dispatcher-grid')
  await openCase(page, 'dispatch', number)
  await expect(page.locator('[data-test=case-fields]')).toContainText(`${made.grid.name} / ${made.subGrid.name}`)
  await expectWatermark(page, made.dispatcher.username)
  expect(await offered(page)).toEqual(['assign'])
  await runOp(page, 'assign', '分配处理', async (d) => {
    // The handler by user name; the unit type follows the account's role.
    await choose(page, d.locator('[data-test=op-handler-account]'), made.worker.username, false, 'case-op-assign-open')
    await expect(d.locator('[data-test=op-handler-account]')).toContainText(made.worker.username)
    await expect(d.locator('[data-test=op-handler-kind]')).toContainText('网格员')
    await d.locator('[data-test=op-handler-unit]').fill('东片网格')
    await d.locator('[data-test=op-requirements]').fill('三日内补装井盖并设置警示')
    await shot(page, 'case-op-assign')
    await expectAccessible(page, 'the assign dialog')
  })
  await expect(page.locator('[data-test=detail-status]')).toHaveText('处理中')
  await expect(page.locator('[data-test=detail-handler]')).toHaveText(`${made.worker.username} · 工作端人员`)
  await expect(history).toHaveCount(4)
  await expect(history.nth(3).locator('[data-test=history-actor]')).toHaveText(`${made.dispatcher.username}（我） · 分转员`)
  await expect(history.nth(3)).toContainText(`处理人 ${made.worker.username} · 工作端人员（网格员 · 东片网格）`)
  expect(await offered(page)).toEqual(['add_co_handler', 'reassign'])
  const deadline = (await page.locator('[data-test=detail-handling-deadline]').textContent()) ?? ''
  await shot(page, 'case-detail-dispatcher')
  await logout(page)

  // ---- the field worker asks for more time --------------------------------------------------------
  await login(page, made.worker.username)
  await page.goto(`${c}/cases?view=mine&number=${encodeURIComponent(number)}`)
  await expect(rows.filter({ hasText: number }).locator('[data-test=case-assignee]')).toHaveText(`${made.worker.username}（我） · 工作端人员`)
  // The field worker's report form offers the grids by name, level by level.
  await page.locator('[data-test=report-open]').click()
  await expect(page.locator('h1')).toHaveText('上报案件')
  await expect(page.locator('[data-test=grid-level2] input')).toBeDisabled()
  await choose(page, page.locator('[data-test=grid-level1]'), made.grid.name)
  await choose(page, page.locator('[data-test=grid-level2]'), made.subGrid.name)
  await expect(page.locator('[data-test=grid-level2]')).toContainText(made.subGrid.name)
  await shot(page, 'case-form-worker')
  await expectAccessible(page, "the field worker's report form")
  await openCase(page, 'mine', number)
  await expect(page.locator('[data-test=detail-timeliness]')).toHaveText('未超期')
  expect(await offered(page)).toEqual(['add_materials', 'complete_handling', 'request_extension'])
  await runOp(page, 'request_extension', '申请延期', async (d) => {
    await d.locator('[data-test=op-reason]').fill('井盖需定制，到货需两天')
  })
  await expect(page.locator('[data-test=detail-extension]')).toContainText('井盖需定制')
  await expect(history).toHaveCount(5)
  expect(await offered(page)).toEqual(['add_materials', 'complete_handling'])
  await logout(page)

  // ---- the admin decides the extension: the deadline moves -----------------------------------------
  await login(page, env.adminUser)
  await openCase(page, 'all', number)
  expect(await offered(page)).toContain('decide_extension')
  await runOp(page, 'decide_extension', '审批延期', async (d) => {
    await expect(d.locator('[data-test=op-extension]')).toContainText('井盖需定制')
    await d.locator('[data-test=op-note]').fill('同意，注意现场警示')
  })
  await expect(history).toHaveCount(6)
  await expect(history.nth(5)).toContainText('同意延期')
  await expect(page.locator('[data-test=detail-extension]')).toHaveCount(0)
  expect(await offered(page)).not.toContain('decide_extension')
  expect(await page.locator('[data-test=detail-handling-deadline]').textContent()).not.toBe(deadline)
  // Every account in the record by its user name, none by a bare id.
  await expect(history.nth(4).locator('[data-test=history-actor]')).toHaveText(`${made.worker.username} · 工作端人员`)
  await expect(history.nth(5).locator('[data-test=history-actor]')).toHaveText(`${env.adminUser}（我） · 街道管理员`)
  await expect(page.locator('[data-test=case-history]')).not.toContainText('账号 …')
  await expect(page.locator('[data-test=case-workflow]')).not.toContainText('账号 …')
  await expect(page.locator('[data-test=detail-handler]')).toHaveText(`${made.worker.username} · 工作端人员`)
  await shot(page, 'case-detail-history')
  await expectNothingInjected(page)
  expect(seen.errors).toEqual([])
})

test('a similar report shows the first case as a likely duplicate', async ({ page }) => {
  test.setTimeout(120_000)
  expect(made.firstNumber, 'the first test reported a case').toBeTruthy()
  await login(page, env.adminUser)
  await page.goto(`${c}/cases`)
  const number = await report(page, `小区东门井盖缺失，${stamp}`, false)
  const candidate = page.locator('[data-test=report-result] [data-test=dup-item]', { hasText: made.firstNumber })
  await expect(candidate).toHaveCount(1)
  await expect(candidate).toContainText('很可能重复')
  await expect(candidate.locator('[data-test=dup-reasons]')).toContainText('小类相同')
  await expect(candidate.locator('[data-test=dup-reasons]')).toContainText('同一网格')
  await shot(page, 'case-duplicates-after-report')
  await page.locator('[data-test=open-new-case]').click()
  await expect(page.locator('[data-test=detail-number]')).toHaveText(number)
  await expect(page.locator('[data-test=dup-panel] [data-test=dup-item]', { hasText: made.firstNumber })).toHaveCount(1)
  // Filing it without a reason is refused in words: it is likely a duplicate.
  await page.locator('[data-test=op-file]').click()
  const dialog = page.getByRole('dialog', { name: '立案' })
  await expect(dialog.locator('[data-test=dup-item]', { hasText: made.firstNumber })).toHaveCount(1)
  await dialog.locator('[data-test=op-submit]').click()
  await expect(dialog.locator('[data-test=op-error]')).toContainText(`很可能与案件 ${made.firstNumber}`)
  await shot(page, 'case-duplicates-file-refused')
  await dialog.getByRole('button', { name: '取消' }).click()
  await expect(page.locator('[data-test=detail-status]')).toHaveText('待处理')
})

// ---- an alarm from the real box becomes a case ----------------------------------------------------

interface Alarm { id: string; kind: string; acked: boolean; at_ms: number }

async function openSmoke(api: APIRequestContext): Promise<Alarm[]> {
  const page = (await call(api, 'get', `${base}/alarms?status=open&kind=smoke`)) as { items: Alarm[] }
  return page.items
}

/** Close the detector's open smoke alarm (acknowledged, smoke gone), as the alarm story expects. */
async function closeSmoke(api: APIRequestContext): Promise<void> {
  for (const a of await openSmoke(api)) {
    if (!a.acked) await call(api, 'post', `${base}/alarms/${a.id}/ack`, { comment: '案件测试结束，复位' })
  }
  publishSmoke('{"smoke": false}')
  await expect.poll(async () => (await openSmoke(api)).length, { timeout: 30_000 }).toBe(0)
}

test('a smoke alarm from the box is turned into a case from the alarm drawer', async ({ page, playwright }) => {
  test.setTimeout(150_000)
  const api = await playwright.request.newContext({ baseURL: process.env.CONSOLE_URL })
  try {
    // A fresh alarm of this run: none open before, then smoke at the detector.
    if ((await openSmoke(api)).length > 0) await closeSmoke(api)
    publishSmoke('{"smoke": true, "battery": 90}')
    await expect.poll(async () => (await openSmoke(api)).length, { timeout: 30_000 }).toBe(1)

    await login(page, env.adminUser)
    await page.goto(`${c}/alarms`)
    const row = page.locator('[data-test=alarm-table] .el-table__body tr', { hasText: '烟感' }).first()
    await row.locator('[data-test=alarm-detail]').click()
    const drawer = page.getByRole('dialog', { name: '告警详情' })
    await drawer.locator('[data-test=alarm-to-case]').click()
    const dialog = page.getByRole('dialog', { name: '将告警转为案件' })
    await choose(page, dialog.locator('[data-test=category-major]'))
    await choose(page, dialog.locator('[data-test=category-middle]'))
    await choose(page, dialog.locator('[data-test=category-minor]'))
    await choose(page, dialog.locator('[data-test=grid-level1]'), made.grid.name)
    await choose(page, dialog.locator('[data-test=grid-level2]'), made.subGrid.name)
    await dialog.locator('[data-test=alarm-case-description]').fill('楼梯间烟感报警，已派人核查')
    await shot(page, 'case-alarm-to-case')
    await expectAccessible(page, 'the alarm-to-case dialog')
    await dialog.locator('[data-test=alarm-case-confirm]').click()
    await expect(dialog).toBeHidden()
    // Converted: "已转为案件" with a link to the new case instead of the button.
    await expect(drawer.locator('[data-test=alarm-case-done]')).toContainText('已转为案件')
    const link = drawer.locator('[data-test=alarm-case-link]')
    await expect(link).toContainText('查看案件')
    const caseNumber = /查看案件 (\S+)/.exec((await link.textContent()) ?? '')?.[1]
    expect(caseNumber, 'the new case number in the link').toBeTruthy()
    await expect(drawer.locator('[data-test=alarm-to-case]')).toHaveCount(0)
    // Opened again, the drawer still links to that case (the alarm knows it).
    await page.keyboard.press('Escape')
    await expect(drawer).toBeHidden()
    await row.locator('[data-test=alarm-detail]').click()
    await expect(drawer.locator('[data-test=alarm-case-link]')).toHaveText(`查看案件 ${caseNumber}`)
    await expect(drawer.locator('[data-test=alarm-case-done]')).toContainText('已转为案件')
    await expect(drawer.locator('[data-test=alarm-to-case]')).toHaveCount(0)
    await expect.poll(() => drawer.evaluate((el) => el.getAnimations({ subtree: true }).length)).toBe(0)
    await shot(page, 'case-alarm-drawer-linked')
    await expectAccessible(page, 'the alarm drawer with its case')
    await link.click()
    await expect(page.locator('[data-test=detail-number]')).toHaveText(caseNumber as string)
    await expect(page.locator('[data-test=detail-status]')).toHaveText('待处理')
    await expect(page.locator('[data-test=case-fields]')).toContainText('设备告警')
    await expect(page.locator('[data-test=detail-description]')).toContainText('楼梯间烟感报警')
    await shot(page, 'case-alarm-case-detail')
  } finally {
    await closeSmoke(api)
    await api.dispose()
  }
})
