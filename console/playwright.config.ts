// Browser tests: Playwright driving Debian's `chromium` package by its executable path
// (Playwright's own browser download cannot be reached here). The stack under test — a real
// cloud-core serving the built console, a real box, mosquitto, pymodbus — is started by the Rust
// test `tests/tests/console_browser.rs`, which runs these specs and hands them its addresses and
// logins through the environment (see tests/browser/env.ts). Run them through it:
//   cargo test -p tests --test console_browser
import { defineConfig } from '@playwright/test'

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: './tests/browser',
  outputDir: './test-results',
  // One stack, one browser: specs run in order and share the seeded data.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.CONSOLE_URL,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath: chromium,
      // The machine's network is closed: keep Chromium from reaching out at start.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
})
