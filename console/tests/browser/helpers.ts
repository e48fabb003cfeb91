// Shared steps of the browser specs: signing in through the login page, the accessibility check,
// and a watch on what the page itself reports (script errors, refused scripts and styles).
import { execFileSync } from 'node:child_process'
import { expect, type Locator, type Page } from '@playwright/test'
import AxeBuilder from '@axe-core/playwright'
import { env } from './env'

/** Sign in through the login page; lands on the account's first page. */
export async function login(page: Page, user: string, password = env.password): Promise<void> {
  await page.goto('/login')
  await page.locator('#login-username').fill(user)
  await page.locator('#login-password').fill(password)
  await page.locator('[data-test=submit]').click()
  await expect(page.locator('[data-test=account-name]')).toHaveText(user)
}

/** Waits until no transition (a dialog fading in or out, a button changing colour) is running. */
export async function settled(page: Page): Promise<void> {
  await expect.poll(() => page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running').length)).toBe(0)
}

/** axe-core: no serious or critical violation on the page as it stands. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  // Colours are read as they stand, or axe measures a half-faded element.
  await settled(page)
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze()
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`),
    `axe on ${what}`,
  ).toEqual([])
}

/** Collects uncaught page errors and console errors (a CSP refusal is one). */
export function watchErrors(page: Page): { errors: string[] } {
  const seen = { errors: [] as string[] }
  page.on('pageerror', (e) => seen.errors.push(`pageerror: ${e.message}`))
  page.on('console', (m) => {
    // A refused request (401 before signing in, a 403 the test provokes) is logged by the
    // browser too; those are the server's answers, checked where they matter.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) seen.errors.push(`console: ${m.text()}`)
  })
  return seen
}

/** Markup planted in data must never run: nothing sets this flag. */
export async function expectNothingInjected(page: Page): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
}

/** With CONSOLE_SHOTS set (tests/screenshots.sh), saves the whole page, once no transition is
 *  running, as `<dir>/<name>.png` for the README; otherwise does nothing. */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SHOTS
  if (!dir) return
  await settled(page)
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true })
}

/** Picks in an Element Plus select: opens it, clicks the first item of *its* dropdown containing
 *  `option` (`exact`: equal to it; none given: the first item), and waits until that dropdown has
 *  closed. `open`: a screenshot name, taken with the options shown. */
export async function choose(page: Page, select: Locator, option?: string, exact = false, open?: string): Promise<void> {
  const list = await select.locator('input[role=combobox]').first().getAttribute('aria-controls')
  const dropdown = list ? page.locator(`[id="${list}"]`) : page.locator('.el-select-dropdown:visible')
  await select.click()
  const items = dropdown.locator('.el-select-dropdown__item')
  const item = option === undefined ? items.first() : exact ? items.getByText(option, { exact: true }).first() : items.filter({ hasText: option }).first()
  await expect(item).toBeVisible()
  if (open) await shot(page, open)
  await item.click()
  if (list) await expect(dropdown).toBeHidden()
  else await expect(dropdown).toHaveCount(0)
}

/** Publishes one smoke-detector message at the stack's broker, as the detector's gateway would. */
export function publishSmoke(payload: string): void {
  execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', env.mqttPort, '-q', '1', '-t', env.smokeTopic, '-m', payload])
}
