// Time from navigation to a rendered list of 50 cases, in Debian's chromium against a running
// cloud (tests/benches/cases.rs starts one with CASES_BENCH_N cases and runs this). Prints
// `BENCH <name> <value> <unit>` lines:
//   (50 rows a page: the worker picks it once in the pager, and the console remembers it.)
//   case_list_page_cold_{p50,p95}: a full page load of /c/<cid>/cases (the browser has the
//     hashed assets in its cache, as a worker's browser does after the first visit) until the
//     table shows 50 rows;
//   case_list_page_warm_{p50,p95}: inside the running console, from the router's navigation
//     (another page → the case list) until the table shows 50 rows.
// Env: BENCH_URL, BENCH_USER, BENCH_PASSWORD, BENCH_COMMUNITY, BENCH_ROUNDS (default 20),
// CHROMIUM_PATH (default /usr/bin/chromium).
import { chromium } from '@playwright/test'

function need(name) {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}
const url = need('BENCH_URL')
const cid = need('BENCH_COMMUNITY')
const rounds = Number(process.env.BENCH_ROUNDS ?? 20)
const rows = '[data-test=case-table] .el-table__body tr'

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))]
}
function report(name, ms) {
  ms.sort((a, b) => a - b)
  console.log(`BENCH ${name}_p50 ${pct(ms, 0.5).toFixed(1)} ms`)
  console.log(`BENCH ${name}_p95 ${pct(ms, 0.95).toFixed(1)} ms`)
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking'],
})
try {
  const page = await browser.newPage({ baseURL: url, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1440, height: 900 } })
  await page.goto('/login')
  await page.locator('#login-username').fill(need('BENCH_USER'))
  await page.locator('#login-password').fill(need('BENCH_PASSWORD'))
  await page.locator('[data-test=submit]').click()
  await page.locator('[data-test=account-name]').waitFor()
  const list = `/c/${cid}/cases?view=all`
  // The worker picks 50 rows a page once, as a user does in the pager; the console remembers it.
  await page.goto(list)
  await page.locator(rows).first().waitFor()
  await page.locator('[data-test=page-size]').click()
  await page.locator('.el-select-dropdown__item:visible', { hasText: /^50$/ }).click()
  // Warm-up: fills the asset cache and the server's.
  for (let i = 0; i < 3; i++) {
    await page.goto(list)
    await page.locator(rows).nth(49).waitFor()
  }
  const cold = []
  for (let i = 0; i < rounds; i++) {
    const t0 = Date.now()
    await page.goto(list)
    await page.locator(rows).nth(49).waitFor()
    cold.push(Date.now() - t0)
  }
  const warm = []
  for (let i = 0; i < rounds; i++) {
    await page.locator('[data-test=menu-home]').click()
    await page.locator('[data-test=home-passes]').waitFor()
    const t0 = await page.evaluate(() => performance.now())
    await page.locator('[data-test=menu-cases]').click()
    await page.locator(rows).nth(49).waitFor()
    warm.push((await page.evaluate(() => performance.now())) - t0)
  }
  if ((await page.locator(rows).count()) !== 50) throw new Error('the case list did not show 50 rows')
  report('case_list_page_cold', cold)
  report('case_list_page_warm', warm)
} catch (e) {
  const pages = browser.contexts().flatMap((c) => c.pages())
  if (pages[0]) await pages[0].screenshot({ path: '/tmp/bench-case-list-failure.png' }).catch(() => {})
  throw e
} finally {
  await browser.close()
}
