// Drives a real browser (Debian's Chromium, headless) through a login and a logout against
// the example app and the test OpenID Provider (provider.mjs):
//
//   node browser.mjs http://127.0.0.1:3000
//
// The app's home page must show, signed out:  <a id="login" href="/auth/login">Log in</a>
//                                  signed in:  <span id="user-name">NAME</span>
//                                              <a id="logout" href="/auth/logout">Log out</a>
//
// Steps: open <app>/, click #login, fill the provider's login form (alice / any-password) and
// submit it, submit the consent form, expect #user-name = "Test User alice" back on the app,
// click #logout, confirm the provider's logout page ("Yes, sign me out") when it shows one,
// expect #login back on the app. Prints each step; exits 0 on success, 1 with the reason and a
// screenshot (under the OS temp dir) on failure.
//
// Environment (all optional):
//   CHROMIUM        the browser executable (default /usr/bin/chromium)
//   E2E_LOGIN       the login name typed into the provider's form (default alice)
//   E2E_TIMEOUT_MS  how long each step may wait (default 15000)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const LOGIN = process.env.E2E_LOGIN || 'alice';
const PASSWORD = 'any-password';
const EXPECTED_NAME = `Test User ${LOGIN}`;
const TIMEOUT = Number.parseInt(process.env.E2E_TIMEOUT_MS || '15000', 10);
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

// The provider's pages (oidc-provider's devInteractions and its default logout page).
const PROVIDER = {
  loginForm: 'form:has(input[name="prompt"][value="login"])',
  loginName: 'input[name="login"]',
  loginPassword: 'input[name="password"]',
  loginSubmit: 'form:has(input[name="prompt"][value="login"]) button[type="submit"]',
  consentSubmit: 'form:has(input[name="prompt"][value="consent"]) button[type="submit"]',
  logoutConfirm: 'button[type="submit"][form="op.logoutForm"][name="logout"][value="yes"]',
};
const APP = {
  login: '#login',
  logout: '#logout',
  userName: '#user-name',
};

const appArg = process.argv[2];
if (!appArg) {
  process.stderr.write('usage: node browser.mjs <app_url>\n');
  process.exit(2);
}
let appUrl;
try {
  appUrl = new URL(appArg);
} catch {
  process.stderr.write(`browser.mjs: not a URL: ${appArg}\n`);
  process.exit(2);
}
const appOrigin = appUrl.origin;
const appHome = new URL('/', appUrl).href;

const started = Date.now();
function step(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`[browser ${seconds.padStart(5)}s] ${message}\n`);
}

// A URL for the log: long parameter values (tokens, PKCE challenges) cut short.
function short(url) {
  try {
    const u = new URL(url);
    for (const [k, v] of u.searchParams) {
      if (v.length > 40) {
        u.searchParams.set(k, `${v.slice(0, 24)}...`);
      }
    }
    return decodeURIComponent(u.href);
  } catch {
    return url;
  }
}

class StepError extends Error {}

// Waits until one of the named selectors is visible on the page; returns its name.
async function oneOf(page, what, choices) {
  const entries = Object.entries(choices);
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    for (const [name, selector] of entries) {
      try {
        if (await page.locator(selector).first().isVisible()) {
          return name;
        }
      } catch {
        // navigation in progress: the page's context is being replaced, try again
      }
    }
    await page.waitForTimeout(100);
  }
  throw new StepError(`${what}: none of ${entries.map(([n, s]) => `${n} (${s})`).join(', ')} appeared within ${TIMEOUT} ms`);
}

function onApp(page) {
  return new URL(page.url()).origin === appOrigin;
}

let userDataDir;
let context;
let page;
async function run() {
  userDataDir = mkdtempSync(join(tmpdir(), 'auth0-edge-chromium-'));
  step(`launching ${CHROMIUM} (headless, profile ${userDataDir})`);
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 60_000,
  });
  context.setDefaultTimeout(TIMEOUT);
  context.setDefaultNavigationTimeout(TIMEOUT);
  page = context.pages()[0] ?? await context.newPage();
  page.on('pageerror', (err) => step(`  page error on ${short(page.url())}: ${err.message}`));
  page.on('response', (res) => {
    if (res.request().isNavigationRequest()) {
      step(`  ${res.request().method()} ${short(res.url())} -> ${res.status()}`);
    }
  });

  step(`opening ${appHome}`);
  await page.goto(appHome, { waitUntil: 'domcontentloaded' });
  if (await oneOf(page, 'the app home page, signed out', { login: APP.login, userName: APP.userName }) !== 'login') {
    throw new StepError('the app home page shows a signed-in user before logging in');
  }

  step('clicking "Log in" (#login)');
  await page.locator(APP.login).click();
  await oneOf(page, "the provider's login page", { loginForm: PROVIDER.loginForm });
  if (onApp(page)) {
    throw new StepError(`expected the provider's login page, still on the app at ${page.url()}`);
  }
  step(`on the provider's login page ${short(page.url())}`);

  step(`filling login "${LOGIN}" and password, submitting`);
  await page.locator(PROVIDER.loginName).fill(LOGIN);
  await page.locator(PROVIDER.loginPassword).fill(PASSWORD);
  await page.locator(PROVIDER.loginSubmit).click();

  let where = await oneOf(page, 'after the login form: the consent page or the app', {
    consent: PROVIDER.consentSubmit,
    userName: APP.userName,
  });
  if (where === 'consent') {
    step(`on the provider's consent page ${short(page.url())}, submitting ("Continue")`);
    await page.locator(PROVIDER.consentSubmit).click();
    where = await oneOf(page, 'after the consent form: the app, signed in', { userName: APP.userName });
  }
  if (!onApp(page)) {
    throw new StepError(`expected to be back on the app (${appOrigin}), at ${page.url()}`);
  }
  const name = (await page.locator(APP.userName).first().textContent())?.trim();
  step(`back on the app at ${short(page.url())}, #user-name = ${JSON.stringify(name)}`);
  if (name !== EXPECTED_NAME) {
    throw new StepError(`#user-name is ${JSON.stringify(name)}, expected ${JSON.stringify(EXPECTED_NAME)}`);
  }
  if (!await page.locator(APP.logout).first().isVisible()) {
    throw new StepError('signed in, but no #logout link');
  }

  step('clicking "Log out" (#logout)');
  await page.locator(APP.logout).click();
  where = await oneOf(page, "after Log out: the provider's logout page or the app, signed out", {
    confirm: PROVIDER.logoutConfirm,
    login: APP.login,
  });
  if (where === 'confirm') {
    step(`on the provider's logout page ${short(page.url())}, clicking "Yes, sign me out"`);
    await page.locator(PROVIDER.logoutConfirm).click();
    where = await oneOf(page, 'after the logout confirmation: the app, signed out', {
      login: APP.login,
      userName: APP.userName,
    });
  }
  if (where !== 'login' || !onApp(page)) {
    throw new StepError(`expected the app signed out (#login), at ${page.url()}`);
  }
  if (await page.locator(APP.userName).count() !== 0) {
    throw new StepError('signed out, but #user-name is still on the page');
  }
  step(`back on the app at ${short(page.url())}, signed out (#login present)`);
}

async function screenshot() {
  if (!page) {
    return undefined;
  }
  const path = join(tmpdir(), `auth0-edge-e2e-${process.pid}-${Date.now()}.png`);
  try {
    await page.screenshot({ path, fullPage: true, timeout: 5000 });
    return path;
  } catch {
    return undefined;
  }
}

let code = 0;
try {
  await run();
  step('OK: logged in and out in Chromium');
} catch (err) {
  code = 1;
  const reason = err instanceof StepError ? err.message : (err?.stack || String(err));
  process.stdout.write(`FAILED: ${reason}\n`);
  if (page) {
    process.stdout.write(`  at ${page.url()}\n`);
  }
  const shot = await screenshot();
  process.stdout.write(shot ? `  screenshot: ${shot}\n` : '  (no screenshot)\n');
} finally {
  await context?.close().catch(() => {});
  if (userDataDir) {
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
process.exit(code);
