#!/usr/bin/env node
// Seals a session the way @auth0/nextjs-auth0 4.30.0 does, with the SDK's own code, and prints
// what a browser would send back after the SDK set the session cookie.
//
// stdin:  {"secret": "...", "session": {...}, "chunked": false, "maxAge": 86400}
//   chunked:false (default) -> value = generateSessionCookie(session, {secret}) from
//                              "@auth0/nextjs-auth0/testing" (JWT exp = now + 3600; the helper adds
//                              `internal` {sid:"auth0-sid", createdAt:now} if the session lacks it)
//   chunked:true            -> value = encrypt(session, secret, now + maxAge), as the stateless
//                              session store does
//   Either way the value is then written with the SDK's setChunkedCookie("__session", ...) and the
//   store's default cookie options (httpOnly, sameSite lax, path /, not secure, Max-Age maxAge), so
//   the SDK splits it into __session__0, __session__1, ... whenever it exceeds 3500 bytes.
// stdout: one JSON line {"cookie_header": "__session=...", "set_cookie": ["...", ...],
//                        "value": "<the whole JWE>", "sdk_version": "4.30.0"}
//   cookie_header: the `name=value` of each Set-Cookie that is not a deletion, in order, joined by "; ".
//   set_cookie: every Set-Cookie header the SDK wrote, deletions (Max-Age=0) of stale chunks included.
// Exit status: 0 on success, 2 on bad input, 1 on any other error.
import { cookies, testing, SDK_VERSION, SESSION_COOKIE_NAME, readStdinJson, usage, printLine } from "./sdk.mjs";

const { RequestCookies, ResponseCookies, encrypt, setChunkedCookie } = cookies;

const input = await readStdinJson();
if (input === null || typeof input !== "object") usage("stdin must be a JSON object");
const { secret, session, chunked = false, maxAge = 86400 } = input;
if (typeof secret !== "string") usage('"secret" must be a string');
if (session === null || typeof session !== "object" || Array.isArray(session)) usage('"session" must be an object');
if (typeof chunked !== "boolean") usage('"chunked" must be a boolean');
if (!Number.isInteger(maxAge) || maxAge <= 0) usage('"maxAge" must be a positive integer');

let value;
if (chunked) {
  const now = Math.floor(Date.now() / 1000);
  value = await encrypt(session, secret, now + maxAge);
} else {
  value = await testing.generateSessionCookie(session, { secret });
}

// A request that carries no cookies, and an empty response.
const reqCookies = new RequestCookies(new Headers());
const resHeaders = new Headers();
const resCookies = new ResponseCookies(resHeaders);
// The stateless session store's options (AbstractSessionStore defaults) plus maxAge.
const options = {
  httpOnly: true,
  sameSite: "lax",
  secure: false,
  path: "/",
  domain: undefined,
  transient: undefined,
  maxAge,
};
setChunkedCookie(SESSION_COOKIE_NAME, value, options, reqCookies, resCookies);

const setCookie = resHeaders.getSetCookie();
// What the browser keeps: every cookie the response set that is not a deletion. The value is
// encoded exactly as the SDK's serializer (@edge-runtime/cookies' stringifyCookie) put it on the wire.
const kept = resCookies.getAll().filter((c) => c.maxAge !== 0 && c.value !== "");
const cookieHeader = kept.map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join("; ");

// Cross-checks: the SDK also wrote the cookies into the request (read-after-write), and every kept
// cookie must appear verbatim as the first part of one Set-Cookie header.
if (reqCookies.toString() !== cookieHeader) {
  throw new Error(`request cookies after setChunkedCookie differ: ${reqCookies.toString()}`);
}
for (const pair of cookieHeader.split("; ")) {
  if (!setCookie.some((h) => h === pair || h.startsWith(`${pair};`))) {
    throw new Error(`no Set-Cookie header for ${pair.slice(0, 40)}...`);
  }
}

printLine({ cookie_header: cookieHeader, set_cookie: setCookie, value, sdk_version: SDK_VERSION });
