// "Cloud admins reviewing pass logs and alarms", with real parts: a smoke message published to
// mosquitto reaches the real box, the box's alarm reaches the cloud, it appears in the open
// console without a reload (pushed by the server), the worker acknowledges it with a comment,
// and the box shows it acknowledged.
import { test, expect } from '@playwright/test'
import { env } from './env'
import { expectAccessible, expectNothingInjected, login, publishSmoke, shot, watchErrors } from './helpers'

interface BoxAlarm { device: string; acked_by?: string | null }

async function boxAlarms(): Promise<BoxAlarm[]> {
  const r = await fetch(`${env.boxUrl}/v1/sensors`, { headers: { authorization: `Bearer ${env.boxToken}` } })
  expect(r.status).toBe(200)
  const v = (await r.json()) as { alarms: BoxAlarm[] }
  return v.alarms
}

test('a smoke alarm appears live, is acknowledged with a comment, and the box hears of it', async ({ page }) => {
  const seen = watchErrors(page)
  await login(page, env.staffUser)
  await page.locator('[data-test=menu-alarms]').click()
  await expect(page.locator('h1')).toHaveText('告警')
  await expect(page.locator('[data-test=live]')).toHaveText('实时')
  const body = page.locator('[data-test=alarm-table] .el-table__body')
  const smokeRows = body.locator('tr', { hasText: '烟感' })
  const releaseRows = body.locator('tr', { hasText: '消防联动开门' })
  await expect(smokeRows).toHaveCount(0)
  // A mark in the page: still there afterwards means the list changed without a reload.
  await page.evaluate(() => ((window as unknown as { __mark: number }).__mark = 42))
  let navigations = 0
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations += 1
  })

  // The detector reports smoke; the box raises, uploads; the cloud pushes; the row appears.
  publishSmoke('{"smoke": true, "battery": 88}')
  // Two alarms: the detector's smoke, and the box releasing the building's exits for it.
  await expect(smokeRows).toHaveCount(1, { timeout: 30_000 })
  await expect(releaseRows.first()).toBeVisible()
  expect(await page.evaluate(() => (window as unknown as { __mark?: number }).__mark)).toBe(42)
  expect(navigations).toBe(0)
  const row = smokeRows.first()
  await expect(row).toContainText('烟感')
  await expect(row).toContainText('紧急')
  await expect(row.locator('[data-test=alarm-status]')).toHaveText('未确认')
  await expectAccessible(page, 'the alarm list')
  await shot(page, 'alarms')

  // Acknowledge with a comment (markup in it stays text).
  const comment = '<img src=x onerror="window.__pwned=1">已派保安前往3号楼'
  await row.locator('[data-test=alarm-ack]').click()
  const box = page.getByRole('dialog')
  await box.locator('input').fill(comment)
  await box.getByRole('button', { name: '确定' }).click()
  await expect(row.locator('[data-test=alarm-status]')).toHaveText('已确认·未消除')

  // The history shows who, when and the comment, as text.
  await row.locator('[data-test=alarm-detail]').click()
  const drawer = page.getByRole('dialog', { name: '告警详情' })
  await expect(drawer).toContainText(comment)
  await expect(drawer).toContainText(env.staffUser)
  await expectNothingInjected(page)
  // Once the drawer has slid in (axe reads colours mid-animation otherwise).
  await expect(drawer.locator('[data-test=alarm-history]')).toBeVisible()
  await expect.poll(() => drawer.evaluate((el) => el.getAnimations({ subtree: true }).length)).toBe(0)
  await expectAccessible(page, 'the alarm drawer')
  await shot(page, 'alarm-drawer')

  // The box's engine hears of the acknowledgement.
  await expect
    .poll(async () => (await boxAlarms()).find((a) => a.device === 'smoke-1')?.acked_by, { timeout: 20_000 })
    .toBe(`cloud:${env.staffUser}`)

  // The smoke clears at the detector: the acknowledged alarm closes and leaves the open list,
  // live. The exits stay released until an operator restores them on the box.
  publishSmoke('{"smoke": false}')
  await expect(smokeRows).toHaveCount(0, { timeout: 30_000 })
  await expect(releaseRows.first()).toBeVisible()
  expect(navigations).toBe(0)
  expect(seen.errors).toEqual([])
})
