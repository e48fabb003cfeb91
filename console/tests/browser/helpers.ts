// Shared steps of the browser specs: signing in through the login page, the accessibility check,
// and a watch on what the page itself reports (script errors, refused scripts and styles).
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

/** axe-core: no serious or critical violation on the page as it stands. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  // Colours are read as they stand: wait until no transition (a dialog fading in, a button
  // changing colour) is running, or axe measures a half-faded element.
  await expect.poll(() => page.evaluate(() => document.getAnimations().filter((a) => a.playState === 'running').length)).toBe(0)
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

/** With CONSOLE_SHOTS set (tests/screenshots.sh), saves the page as `<dir>/<name>.png` for the
 *  README; otherwise does nothing. */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.CONSOLE_SHOTS
  if (dir) await page.screenshot({ path: `${dir}/${name}.png` })
}

/** Picks `option` in an Element Plus select: opens it, clicks the first visible item containing
 *  the text (`exact`: equal to it), and waits until the dropdown has closed. */
export async function choose(page: Page, select: Locator, option: string, exact = false): Promise<void> {
  await select.click()
  const items = page.locator('.el-select-dropdown__item:visible')
  await (exact ? items.getByText(option, { exact: true }) : items.filter({ hasText: option })).first().click()
  await expect(page.locator('.el-select-dropdown:visible')).toHaveCount(0)
}
