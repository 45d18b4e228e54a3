#!/usr/bin/env node
// Opens a session cookie the way @auth0/nextjs-auth0 4.30.0 does, with the SDK's own code:
// RequestCookies parses the Cookie header, getChunkedCookie joins __session / __session__N chunks,
// decrypt() derives the key with HKDF and runs jose.jwtDecrypt with clockTolerance 15.
//
// stdin:  {"secret": "...", "cookie_header": "__session=...; other=..."}
//         optional "cookie_name" (default "__session").
// stdout: one JSON line, either
//   {"ok": true, "payload": {...exp included...}, "payload_keys": ["user", ...],
//    "protected_header": {"enc": "A256GCM", "alg": "dir"}, "plaintext": "<the JWT claims JSON as sealed>",
//    "sdk_version": "4.30.0"}
// or
//   {"ok": false, "error": "<message>", "code": "<jose error code, if any>",
//    "sdk_result": "no_cookie" | "null" | "throw", "sdk_version": "4.30.0"}
//   sdk_result says how the SDK itself would treat it: no_cookie = getChunkedCookie found nothing
//   (absent, or chunks missing); null = decrypt() returns null (session treated as absent: failed
//   decryption, expired, malformed JWE); throw = decrypt() throws (e.g. a claim set that is not a
//   JSON object).
//   "plaintext" is the decrypted bytes as UTF-8, obtained with the SDK's jose + HKDF (not by decrypt()).
// Exit status: 0 in both cases, 2 on bad input, 1 on a script bug.
import { cookies, jose, hkdf, SDK_VERSION, SESSION_COOKIE_NAME, readStdinJson, usage, printLine } from "./sdk.mjs";

const { RequestCookies, getChunkedCookie, decrypt } = cookies;

const input = await readStdinJson();
if (input === null || typeof input !== "object") usage("stdin must be a JSON object");
const { secret, cookie_header: cookieHeader, cookie_name: cookieName = SESSION_COOKIE_NAME } = input;
if (typeof secret !== "string") usage('"secret" must be a string');
if (typeof cookieHeader !== "string") usage('"cookie_header" must be a string');
if (typeof cookieName !== "string") usage('"cookie_name" must be a string');

function fail(error, code, sdkResult) {
  printLine({ ok: false, error, ...(code ? { code } : {}), sdk_result: sdkResult, sdk_version: SDK_VERSION });
  process.exit(0);
}

let reqCookies;
try {
  reqCookies = new RequestCookies(new Headers({ cookie: cookieHeader }));
} catch (e) {
  // e.g. characters a Cookie header cannot carry
  fail(`invalid Cookie header: ${e.message}`, undefined, "no_cookie");
}

// getChunkedCookie reports incomplete chunk sequences with console.warn (stderr): keep the message.
const warnings = [];
const origWarn = console.warn;
console.warn = (...args) => warnings.push(args.join(" "));
const value = getChunkedCookie(cookieName, reqCookies);
console.warn = origWarn;
if (value === undefined) {
  fail(warnings.length ? warnings.join("; ") : `no ${cookieName} cookie`, undefined, "no_cookie");
}

let result;
try {
  result = await decrypt(value, secret);
} catch (e) {
  fail(e.message, e.code, "throw");
}
if (result === null) {
  // The SDK maps these errors to null; ask again with throwOnJWEErrors to learn which one it was.
  try {
    await decrypt(value, secret, undefined, true);
    fail("decrypt returned null", undefined, "null");
  } catch (e) {
    fail(e.message, e.code, "null");
  }
}

const key = await hkdf("sha256", secret, "", "JWE CEK", 32);
const { plaintext } = await jose.compactDecrypt(value, key);

printLine({
  ok: true,
  payload: result.payload,
  payload_keys: Object.keys(result.payload),
  protected_header: result.protectedHeader,
  plaintext: new TextDecoder().decode(plaintext),
  sdk_version: SDK_VERSION,
});
