// Loads the cookie code of the installed @auth0/nextjs-auth0, shared by sdk-seal.mjs and sdk-open.mjs.
//
// The package's "exports" map only exposes ".", "./client", "./server", "./errors", "./types" and
// "./testing": a specifier like "@auth0/nextjs-auth0/dist/server/cookies.js" fails with
// ERR_PACKAGE_PATH_NOT_EXPORTED, and "./server" pulls in `next` (a peer dependency not installed
// here). "./testing" is fine: it imports only ../server/cookies.js. So the cookie module is loaded
// by file URL, found next to the resolved "./testing" entry point; it is the very module instance
// the testing helper uses. Its bare imports (@edge-runtime/cookies, @panva/hkdf, jose) resolve from
// the SDK's own location, and it re-exports RequestCookies/ResponseCookies from @edge-runtime/cookies.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

export const EXPECTED_SDK_VERSION = "4.30.0";

const testingUrl = import.meta.resolve("@auth0/nextjs-auth0/testing");
const cookiesUrl = new URL("../server/cookies.js", testingUrl);
const pkgUrl = new URL("../../package.json", testingUrl);

export const SDK_VERSION = JSON.parse(readFileSync(pkgUrl, "utf8")).version;
if (SDK_VERSION !== EXPECTED_SDK_VERSION) {
  throw new Error(`@auth0/nextjs-auth0 ${SDK_VERSION} is installed, expected ${EXPECTED_SDK_VERSION}: run npm ci`);
}

export const testing = await import(testingUrl);
export const cookies = await import(cookiesUrl.href);

// The SDK's own copy of jose and @panva/hkdf (resolved from the SDK's file, as its code does).
const requireFromSdk = createRequire(fileURLToPath(cookiesUrl));
export const jose = await import(pathToFileURL(requireFromSdk.resolve("jose")).href);
export const { hkdf } = await import(pathToFileURL(requireFromSdk.resolve("@panva/hkdf")).href);

export const SESSION_COOKIE_NAME = "__session";

export async function readStdinJson() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    usage(`stdin is not JSON: ${e.message}`);
  }
}

export function usage(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

// One JSON line. U+2028/U+2029 are legal raw in JSON but some line splitters break on them, so
// they are written escaped (same JSON value).
export function printLine(obj) {
  const line = JSON.stringify(obj).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  process.stdout.write(`${line}\n`);
}
