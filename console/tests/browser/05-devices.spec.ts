// Devices, boxes and doors with the real box: the seeded smoke detector shows in the place tree
// with its last state in words (as the box reported it through mosquitto); a box registered here
// shows its one-time code once and the page forgets it when the dialog closes; a door on that
// box changes mode after a confirmation; an elevator whose name is markup renders as text, gets a
// maintenance record, and is removed (its history stays); finally that box — never the seeded
// one — is revoked after typing its name. Everything created carries a unique suffix, so the
// spec passes on a fresh stack and on one used before.
import { execFileSync } from 'node:child_process'
import { test, expect, type Locator, type Page } from '@playwright/test'
import { env } from './env'
import { choose, expectAccessible, expectNothingInjected, login, shot, watchErrors } from './helpers'

test.describe.configure({ mode: 'serial' })

const stamp = Date.now()
const boxName = `测试边缘盒 ${stamp}`
const doorName = `测试门 ${stamp}`
const doorCode = `door-${stamp}`
const elevatorName = `<img src=x onerror="window.__pwned=1">电梯 ${stamp}`
const elevatorCode = `elev-${stamp}`
const seededDetector = '楼梯间烟感 3F'
const seededBox = `${env.communityName} box`
const estate = `${env.communityName} estate`

/** The text box of a form field (Element Plus puts the hook on the input itself, or on the
 *  wrapper of a number input). */
function field(scope: Locator, name: string): Locator {
  return scope.locator(`input[data-test=${name}], textarea[data-test=${name}], [data-test=${name}] input`)
}

async function open(page: Page, menu: string, title: string): Promise<void> {
  await page.locator(`[data-test=menu-${menu}]`).click()
  await expect(page.locator('h1')).toHaveText(title)
}

test('the seeded smoke detector shows in the place tree with its state in words', async ({ page }) => {
  const seen = watchErrors(page)
  // The detector reports (no smoke, battery 95 %); the box passes its state to the cloud.
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', env.mqttPort, '-q', '1', '-t', env.smokeTopic, '-m', '{"smoke": false, "battery": 95}'])
  await login(page, env.staffUser)
  await open(page, 'devices', '设备台账')
  const tree = page.locator('[data-test=place-tree]')
  await expect(tree).toContainText(estate)
  await expect(tree).toContainText('B1')
  await expect(tree).toContainText('U1')
  const row = page.locator('[data-test=device-table] .el-table__body tr').filter({ hasText: seededDetector })
  await expect(row).toHaveCount(1)
  await expect(row.locator('[data-test=device-kind]')).toHaveText('烟感探测器')
  await expect(async () => {
    await page.getByRole('button', { name: '刷新' }).click()
    await expect(row.locator('[data-test=device-readings]')).toContainText('电量 95%', { timeout: 2_000 })
  }).toPass({ timeout: 30_000 })
  await expect(row.locator('[data-test=device-state]')).toHaveText('正常')
  await expect(row.locator('[data-test=device-online]')).toHaveText('在线')
  await expect(row).toContainText('B1 · U1 · 3 层')

  // Choosing a place in the tree narrows the list to it.
  await tree.getByText('U1', { exact: true }).click()
  await expect(page.locator('[data-test=place-shown]')).toContainText('U1')
  await expect(row).toHaveCount(1)
  await expectAccessible(page, 'the device tree')
  await shot(page, 'devices')

  // Its detail: readings in words, no raw point names.
  await row.locator('[data-test=device-open]').click()
  const drawer = page.getByRole('dialog', { name: seededDetector })
  await expect(drawer.locator('[data-test=device-points]')).toContainText('电量')
  await expect(drawer.locator('[data-test=device-points]')).toContainText('95%')
  await expect(drawer.locator('[data-test=device-points]')).not.toContainText('battery_percent')
  expect(seen.errors).toEqual([])
})

test('a box\'s configuration: what it runs, a revision set here taking effect, a bad one refused with the reason', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  await open(page, 'edge-boxes', '边缘盒')
  const rows = page.locator('[data-test=box-table] .el-table__body tr')
  await rows.filter({ hasText: seededBox }).locator('[data-test=box-config-open]').click()
  const drawer = page.getByRole('dialog', { name: `边缘盒配置：${seededBox}` })
  await expect(drawer.locator('[data-test=config-software]')).toHaveText(/^edge-daemon\/\d+\.\d+\.\d+$/)
  // What the box runs, as it reported it (its file, or a revision from an earlier run).
  await expect(drawer.locator('[data-test=config-running]')).toHaveText(/本地配置文件|云端第 \d+ 版/)
  await expect(drawer.locator('[data-test=config-doors] .el-table__body tr')).not.toHaveCount(0)
  await expectAccessible(page, 'the box configuration')

  const refreshUntil = async (state: string): Promise<void> => {
    await expect(async () => {
      await drawer.locator('[data-test=config-refresh]').click()
      await expect(drawer.locator('[data-test=config-state]')).toHaveText(state, { timeout: 1_000 })
    }).toPass({ timeout: 60_000 })
  }
  const first = <T,>(xs: T[]): T => {
    const x = xs[0]
    if (x === undefined) throw new Error('the box reports an empty section')
    return x
  }
  const edit = async (change: (sections: { devices: { profile: string }[]; doors: { pulse_ms?: number | null }[] }) => void): Promise<void> => {
    await drawer.locator('[data-test=config-edit]').click()
    const box = field(drawer, 'config-json')
    const sections = JSON.parse(await box.inputValue())
    change(sections)
    await box.fill(JSON.stringify(sections, null, 2))
    await drawer.locator('[data-test=config-save]').click()
    await expect(box).toBeHidden()
  }

  // A new pulse length for the first door: saved here, then in effect on the box.
  const pulse = 400 + (stamp % 100)
  await edit((s) => {
    first(s.doors).pulse_ms = pulse
  })
  await refreshUntil('已生效')
  await expect(drawer.locator('[data-test=config-running]')).toHaveText(/云端第 \d+ 版/)
  await expect(drawer.locator('[data-test=config-doors] .el-table__body tr').first()).toContainText(String(pulse))

  // A controller model the box does not know: refused, with the field and the reason in words.
  let model = ''
  await edit((s) => {
    model = first(s.devices).profile
    first(s.devices).profile = `no-such-model-${stamp}`
  })
  await refreshUntil('已拒绝')
  const refused = drawer.locator('[data-test=config-refused]')
  await expect(refused).toContainText('边缘盒拒绝了第')
  await expect(refused.locator('[data-test=config-refused-field]')).toHaveText('devices[0].profile')
  await expect(refused).toContainText(`no-such-model-${stamp}`)
  await expect(refused).toContainText('它仍按之前的配置运行')
  await expect(drawer.locator('[data-test=config-doors] .el-table__body tr').first()).toContainText(String(pulse))
  await shot(page, 'box-config-refused')

  // Put right again.
  await edit((s) => {
    first(s.devices).profile = model
  })
  await refreshUntil('已生效')
  expect(seen.errors).toEqual([])
})

test('a box registered here shows its one-time code once; a new code replaces it', async ({ page, context }) => {
  const seen = watchErrors(page)
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  await login(page, env.staffUser)
  await open(page, 'edge-boxes', '边缘盒')
  const rows = page.locator('[data-test=box-table] .el-table__body tr')
  await expect(rows.filter({ hasText: seededBox }).locator('[data-test=box-status]')).toHaveText('在线')
  // The software the box said it runs.
  await expect(rows.filter({ hasText: seededBox }).locator('[data-test=box-software]')).toHaveText(/^edge-daemon\/\d+\.\d+\.\d+$/)
  await expectAccessible(page, 'the box list')

  await page.locator('[data-test=box-add]').click()
  const form = page.getByRole('dialog', { name: '登记边缘盒' })
  await choose(page, form.locator('[data-test=box-estate]'), estate, true)
  await field(form, 'box-name').fill(boxName)
  await form.locator('[data-test=box-save]').click()

  const dialog = page.getByRole('dialog', { name: '边缘盒接入码' })
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText('此接入码只显示这一次')
  await expect(dialog).toContainText(boxName)
  const code = (await dialog.locator('[data-test=provisioning-code]').innerText()).trim()
  expect(code.length).toBeGreaterThan(8)
  await dialog.locator('[data-test=code-copy]').click()
  await expect(dialog.locator('[data-test=code-copy]')).toHaveText('已复制')
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code)
  await expectAccessible(page, 'the provisioning code dialog')
  await shot(page, 'box-code')

  // Closed: gone from the page, and the list never shows a code.
  await dialog.locator('[data-test=code-close]').click()
  await expect(dialog).toBeHidden()
  expect(await page.content()).not.toContain(code)
  const row = rows.filter({ hasText: boxName })
  await expect(row.locator('[data-test=box-status]')).toHaveText('待接入')
  await expect(row.locator('[data-test=box-provisioned]')).toHaveText('尚未接入')
  await expect(rows.filter({ hasText: seededBox }).locator('[data-test=box-new-code]')).toHaveCount(0)

  // A new code for the box not yet provisioned: asked first, then shown once too.
  await row.locator('[data-test=box-new-code]').click()
  const ask = page.getByRole('dialog', { name: '新接入码' })
  await expect(ask).toContainText('之前的接入码立即失效')
  await ask.getByRole('button', { name: '新接入码' }).click()
  await expect(dialog).toBeVisible()
  const second = (await dialog.locator('[data-test=provisioning-code]').innerText()).trim()
  expect(second).not.toBe(code)
  await dialog.locator('[data-test=code-close]').click()
  await expect(dialog).toBeHidden()
  expect(await page.content()).not.toContain(second)
  expect(seen.errors).toEqual([])
})

test('a door on the new box is registered and locked after a confirmation', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  await open(page, 'doors', '门禁点')
  await page.locator('[data-test=door-add]').click()
  const form = page.getByRole('dialog', { name: '登记门禁点' })
  await choose(page, form.locator('[data-test=door-box]'), boxName, true)
  await field(form, 'door-code').fill(doorCode)
  await field(form, 'door-name').fill(doorName)
  await form.locator('[data-test=door-save]').click()
  await expect(form).toBeHidden()

  const row = page.locator('[data-test=door-table] .el-table__body tr').filter({ hasText: doorName })
  await expect(row).toContainText(boxName)
  await expect(row).toContainText(doorCode)
  await expect(row.locator('[data-test=door-mode]')).toHaveText('正常')
  await expectAccessible(page, 'the door list')

  await row.locator('[data-test=door-mode-change]').click()
  const modes = page.getByRole('dialog', { name: `更改模式：${doorName}` })
  await expect(modes).toContainText('任何人都不能通过此门')
  await modes.locator('[data-test=mode-locked]').click()
  await expectAccessible(page, 'the door mode dialog')
  await shot(page, 'door-mode')
  await modes.locator('[data-test=mode-save]').click()
  const confirm = page.getByRole('dialog', { name: '确认锁闭' })
  await expect(confirm).toContainText(`将「${doorName}」设为锁闭后，任何人`)
  // Cancelling changes nothing.
  await confirm.getByRole('button', { name: '取消' }).click()
  await expect(modes).toBeVisible()
  await modes.locator('[data-test=mode-save]').click()
  await confirm.getByRole('button', { name: '确定锁闭' }).click()
  await expect(modes).toBeHidden()
  await expect(row.locator('[data-test=door-mode]')).toHaveText('锁闭')
  // The seeded door is untouched.
  await expect(page.locator('[data-test=door-table] .el-table__body tr').filter({ hasText: 'East gate' }).locator('[data-test=door-mode]')).toHaveText('正常')
  await shot(page, 'doors')
  expect(seen.errors).toEqual([])
})

test('an elevator named with markup shows as text, gets a maintenance record, and is removed', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  await open(page, 'devices', '设备台账')
  await page.locator('[data-test=device-add]').click()
  const form = page.getByRole('dialog', { name: '登记设备' })
  await form.getByText('电梯', { exact: true }).click()
  await choose(page, form.locator('[data-test=device-box]'), boxName, true)
  await field(form, 'device-code').fill(elevatorCode)
  await field(form, 'device-name').fill(elevatorName)
  await choose(page, form.locator('[data-test=device-building]'), 'B1', true)
  await choose(page, form.locator('[data-test=device-unit]'), 'U1', true)
  await field(form, 'device-floor').fill('5')
  await field(form, 'device-floor').press('Tab')
  await expectAccessible(page, 'the device form')
  await shot(page, 'device-form')
  await form.locator('[data-test=device-save]').click()
  await expect(form).toBeHidden()

  const row = page.locator('[data-test=device-table] .el-table__body tr').filter({ hasText: elevatorCode })
  await expect(row.locator('[data-test=device-open]')).toHaveText(elevatorName)
  await expect(row.locator('[data-test=device-kind]')).toHaveText('电梯')
  await expect(row.locator('[data-test=device-state]')).toHaveText('尚未上报')
  await expect(row.locator('[data-test=device-online]')).toHaveText('未知')
  await expect(row).toContainText('B1 · U1 · 5 层')
  await expect(page.locator('img[src="x"]')).toHaveCount(0)
  await expectNothingInjected(page)

  // Its detail, and a maintenance record.
  await row.locator('[data-test=device-open]').click()
  const drawer = page.getByRole('dialog', { name: elevatorName })
  await expect(drawer.locator('[data-test=device-detail]')).toContainText(boxName)
  await expect(drawer.locator('[data-test=record-table]')).toContainText('暂无维保或维修记录')
  const content = `半月维保：曳引机、制动器检查正常 ${stamp}`
  await drawer.locator('[data-test=record-kind]').getByText('维保', { exact: true }).click()
  await field(drawer, 'record-content').fill(content)
  await drawer.locator('[data-test=record-add]').click()
  const record = drawer.locator('[data-test=record-table] .el-table__body tr').filter({ hasText: content })
  await expect(record).toHaveCount(1)
  await expect(record).toContainText('维保')
  await expect(record).toContainText(env.staffUser)
  await expectAccessible(page, 'the device detail')
  await shot(page, 'device-detail')
  await expectNothingInjected(page)
  await page.keyboard.press('Escape')
  await expect(drawer).toBeHidden()

  // Edited: the floor moves.
  await row.locator('[data-test=device-edit]').click()
  const edit = page.getByRole('dialog', { name: '编辑设备' })
  await expect(field(edit, 'device-code')).toBeDisabled()
  await field(edit, 'device-floor').fill('6')
  await field(edit, 'device-floor').press('Tab')
  await edit.locator('[data-test=device-save]').click()
  await expect(edit).toBeHidden()
  await expect(row).toContainText('B1 · U1 · 6 层')

  // Removed after a confirmation that says the history stays.
  await row.locator('[data-test=device-remove]').click()
  const confirm = page.getByRole('dialog', { name: '移除设备' })
  await expect(confirm).toContainText('记录都会保留')
  await expect(confirm).toContainText(elevatorName)
  await confirm.getByRole('button', { name: '移除' }).click()
  await expect(row).toHaveCount(0)
  await page.locator('[data-test=filter-removed]').click()
  await expect(row.locator('[data-test=device-removed]')).toHaveText('已移除')
  await expectNothingInjected(page)
  expect(seen.errors).toEqual([])
})

test('the new box is revoked after typing its name; the seeded box stays', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  await open(page, 'edge-boxes', '边缘盒')
  const rows = page.locator('[data-test=box-table] .el-table__body tr')
  const row = rows.filter({ hasText: boxName })
  await row.locator('[data-test=box-revoke]').click()
  const dialog = page.getByRole('dialog', { name: '吊销边缘盒' })
  await expect(dialog).toContainText('吊销后无法恢复')
  const confirm = dialog.locator('[data-test=revoke-confirm]')
  await expect(confirm).toBeDisabled()
  await field(dialog, 'revoke-name').fill(seededBox)
  await expect(confirm).toBeDisabled()
  await field(dialog, 'revoke-name').fill(boxName)
  await expectAccessible(page, 'the revoke dialog')
  await shot(page, 'box-revoke')
  await confirm.click()
  await expect(dialog).toBeHidden()
  await expect(row).toHaveCount(0)
  await page.locator('[data-test=show-revoked]').click()
  await expect(row.locator('[data-test=box-status]')).toHaveText('已吊销')
  await expect(row.locator('[data-test=box-revoke]')).toHaveCount(0)
  await expect(rows.filter({ hasText: seededBox }).locator('[data-test=box-status]')).toHaveText('在线')
  await shot(page, 'boxes')
  expect(seen.errors).toEqual([])
})
