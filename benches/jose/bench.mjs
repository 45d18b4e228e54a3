#!/usr/bin/env node
// Baseline for auth0-edge: the per-request crypto and cookie work of @auth0/nextjs-auth0 4.30.0,
// done with the very libraries (and versions) it uses, in the same way:
//   - session_open_{1k,4k}: RequestCookies parses the Cookie header, getChunkedCookie joins the
//     chunks, HKDF-SHA256 derives the key (on every call, as the SDK's decrypt does), then
//     jose.jwtDecrypt(value, key, {clockTolerance: 15}) (JSON parse and claim checks included).
//   - session_seal_{1k,4k}: HKDF on every call, new EncryptJWT(session).setProtectedHeader(
//     {enc:"A256GCM",alg:"dir"}).setExpirationTime(now + 86400).encrypt(key), then the SDK's
//     setChunkedCookie (transcribed below) with @edge-runtime/cookies' RequestCookies /
//     ResponseCookies, down to the Set-Cookie header strings.
//   - es256_sign / es256_verify: jose CompactSign / compactVerify of a small DPoP-like JWT with an
//     imported P-256 key; rs256_verify: compactVerify with an imported RSA-2048 public key.
//   - pkce: 32 random bytes -> base64url verifier -> SHA-256 -> base64url challenge, with webcrypto
//     and oauth4webapi's base64url encoder (generateRandomCodeVerifier + calculatePKCECodeChallenge).
// Sessions: ../sessions/session-1k.json and session-4k.json (written by make-sessions.mjs), the
// documents the Rust benches use too.
//
// Usage: node bench.mjs [--runs N] [--ms T]
//   Each operation: a warm-up, then N timed runs (default 7) of a fixed iteration count sized so one
//   run takes about T ms (default 250). Reported: the median over runs of microseconds per operation.
// Output: a Markdown table, then one JSON object per line for each operation.
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { createHash } from "node:crypto";
import { RequestCookies, ResponseCookies } from "@edge-runtime/cookies";
import { hkdf } from "@panva/hkdf";
import * as jose from "jose";

// ---- options ---------------------------------------------------------------------------------
const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(name);
  if (i === -1) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}
const RUNS = Math.floor(opt("--runs", 7));
const RUN_MS = opt("--ms", 250);

// ---- the SDK's session-cookie code (@auth0/nextjs-auth0 4.30.0, dist/server/cookies.js) ------
const SECRET = "a-test-secret-that-is-at-least-32-characters-long!";
const SESSION_COOKIE_NAME = "__session";
const MAX_AGE = 86400;
// AbstractSessionStore's default cookie options, plus maxAge, as StatelessSessionStore.set passes them.
const COOKIE_OPTIONS = { httpOnly: true, sameSite: "lax", secure: false, path: "/", domain: undefined, transient: undefined, maxAge: MAX_AGE };

async function encrypt(payload, secret, expiration) {
  const encryptionSecret = await hkdf("sha256", secret, "", "JWE CEK", 32);
  const encryptedCookie = await new jose.EncryptJWT(payload)
    .setProtectedHeader({ enc: "A256GCM", alg: "dir" })
    .setExpirationTime(expiration)
    .encrypt(encryptionSecret);
  return encryptedCookie.toString();
}

async function decrypt(cookieValue, secret) {
  const encryptionSecret = await hkdf("sha256", secret, "", "JWE CEK", 32);
  return jose.jwtDecrypt(cookieValue, encryptionSecret, { clockTolerance: 15 });
}

const MAX_CHUNK_SIZE = 3500;
const CHUNK_PREFIX = "__";
const CHUNK_INDEX_REGEX = new RegExp(`${CHUNK_PREFIX}(\\d+)$`);
const MAX_CHUNKS = 5;
const chunkedCookieRegexCache = new Map();
function getChunkedCookieRegex(name) {
  let regex = chunkedCookieRegexCache.get(name);
  if (!regex) {
    regex = new RegExp(`^${name}${CHUNK_PREFIX}\\d+$`);
    chunkedCookieRegexCache.set(name, regex);
  }
  return regex;
}
function getChunkedCookieIndex(name) {
  const match = CHUNK_INDEX_REGEX.exec(name);
  return match ? parseInt(match[1], 10) : undefined;
}
function getAllChunkedCookies(reqCookies, name) {
  const regex = getChunkedCookieRegex(name);
  return reqCookies.getAll().filter((cookie) => regex.test(cookie.name));
}
function getClearUpTo(reqCookies, name) {
  let highestSeen = -1;
  for (const cookie of getAllChunkedCookies(reqCookies, name)) {
    const idx = getChunkedCookieIndex(cookie.name);
    if (idx !== undefined && idx > highestSeen) highestSeen = idx;
  }
  return Math.max(MAX_CHUNKS, highestSeen + 1);
}
function deleteCookie(resCookies, name, options) {
  const deleteOptions = { maxAge: 0 };
  if (options?.domain) deleteOptions.domain = options.domain;
  if (options?.path) deleteOptions.path = options.path;
  if (options?.secure !== undefined) deleteOptions.secure = options.secure;
  if (options?.sameSite !== undefined) deleteOptions.sameSite = options.sameSite;
  if (options?.httpOnly !== undefined) deleteOptions.httpOnly = options.httpOnly;
  resCookies.set(name, "", deleteOptions);
}
const encoder = new TextEncoder();
function setChunkedCookie(name, value, options, reqCookies, resCookies) {
  const { transient, ...restOptions } = options;
  const finalOptions = { ...restOptions };
  if (transient) delete finalOptions.maxAge;
  const sizeOf = (cookieName, cookieValue) => encoder.encode(`${cookieName}=${cookieValue}`).length;
  const valueBytes = encoder.encode(value).length;
  const deleteOptions = {
    path: finalOptions.path,
    domain: finalOptions.domain,
    secure: finalOptions.secure,
    sameSite: finalOptions.sameSite,
    httpOnly: finalOptions.httpOnly,
  };
  if (valueBytes <= MAX_CHUNK_SIZE) {
    resCookies.set(name, value, finalOptions);
    reqCookies.set(name, value);
    const clearUpTo = getClearUpTo(reqCookies, name);
    for (let i = 0; i < clearUpTo; i++) {
      const chunkName = `${name}${CHUNK_PREFIX}${i}`;
      deleteCookie(resCookies, chunkName, deleteOptions);
      reqCookies.delete(chunkName);
    }
    return sizeOf(name, value);
  }
  let position = 0;
  let chunkIndex = 0;
  let totalBytes = 0;
  while (position < value.length) {
    const chunk = value.slice(position, position + MAX_CHUNK_SIZE);
    const chunkName = `${name}${CHUNK_PREFIX}${chunkIndex}`;
    resCookies.set(chunkName, chunk, finalOptions);
    reqCookies.set(chunkName, chunk);
    totalBytes += sizeOf(chunkName, chunk);
    position += MAX_CHUNK_SIZE;
    chunkIndex++;
  }
  const clearUpTo = getClearUpTo(reqCookies, name);
  for (let i = chunkIndex; i < clearUpTo; i++) {
    const chunkName = `${name}${CHUNK_PREFIX}${i}`;
    deleteCookie(resCookies, chunkName, deleteOptions);
    reqCookies.delete(chunkName);
  }
  deleteCookie(resCookies, name, deleteOptions);
  reqCookies.delete(name);
  return totalBytes;
}
function getChunkedCookie(name, reqCookies) {
  const cookie = reqCookies.get(name);
  if (cookie?.value) return cookie.value;
  const chunks = getAllChunkedCookies(reqCookies, name).sort(
    (first, second) => getChunkedCookieIndex(first.name) - getChunkedCookieIndex(second.name),
  );
  if (chunks.length === 0) return undefined;
  const highestIndex = getChunkedCookieIndex(chunks[chunks.length - 1].name);
  if (chunks.length !== highestIndex + 1) return undefined;
  return chunks.map((c) => c.value).join("");
}

// One request's worth of session work.
async function sealSession(session) {
  const expiration = Math.floor(Date.now() / 1000) + MAX_AGE;
  const jwe = await encrypt(session, SECRET, expiration);
  const reqCookies = new RequestCookies(new Headers());
  const resHeaders = new Headers();
  const resCookies = new ResponseCookies(resHeaders);
  setChunkedCookie(SESSION_COOKIE_NAME, jwe, COOKIE_OPTIONS, reqCookies, resCookies);
  return resHeaders.getSetCookie();
}
async function openSession(requestHeaders) {
  const reqCookies = new RequestCookies(requestHeaders);
  const value = getChunkedCookie(SESSION_COOKIE_NAME, reqCookies);
  if (value === undefined) throw new Error("no session cookie");
  const { payload } = await decrypt(value, SECRET);
  return payload;
}
// What the browser sends back: name=value of every Set-Cookie that is not a deletion.
function cookieHeaderFrom(setCookie) {
  return setCookie
    .filter((h) => !/; Max-Age=0(;|$)/.test(h))
    .map((h) => h.split(";", 1)[0])
    .join("; ");
}

// ---- oauth4webapi's PKCE (webcrypto + its base64url encoder) ---------------------------------
let encodeBase64Url;
if (Uint8Array.prototype.toBase64) {
  encodeBase64Url = (input) => {
    if (input instanceof ArrayBuffer) input = new Uint8Array(input);
    return input.toBase64({ alphabet: "base64url", omitPadding: true });
  };
} else {
  const CHUNK_SIZE = 0x8000;
  encodeBase64Url = (input) => {
    if (input instanceof ArrayBuffer) input = new Uint8Array(input);
    const arr = [];
    for (let i = 0; i < input.byteLength; i += CHUNK_SIZE) {
      arr.push(String.fromCharCode.apply(null, input.subarray(i, i + CHUNK_SIZE)));
    }
    return btoa(arr.join("")).replace(/=/g, "").replace(/\+/g, "-").replace(/\//g, "_");
  };
}
async function pkce() {
  const codeVerifier = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const codeChallenge = encodeBase64Url(await crypto.subtle.digest("SHA-256", encoder.encode(codeVerifier)));
  return { codeVerifier, codeChallenge };
}

// ---- fixtures ----------------------------------------------------------------------------------
const sessionsDir = new URL("../sessions/", import.meta.url);
const sessions = {
  "1k": JSON.parse(readFileSync(new URL("session-1k.json", sessionsDir), "utf8")),
  "4k": JSON.parse(readFileSync(new URL("session-4k.json", sessionsDir), "utf8")),
};
const fixtures = {};
for (const [size, session] of Object.entries(sessions)) {
  const setCookie = await sealSession(session);
  const cookieHeader = cookieHeaderFrom(setCookie);
  const requestHeaders = new Headers({ cookie: cookieHeader });
  // Self-check: opens back to the same document, with exp appended.
  const payload = await openSession(requestHeaders);
  const { exp, ...rest } = payload;
  if (!isDeepStrictEqual(rest, session) || typeof exp !== "number") throw new Error(`session ${size} does not round-trip`);
  const cookies = cookieHeader.split("; ").map((p) => p.split("=", 1)[0]);
  fixtures[size] = { session, requestHeaders, cookieHeaderBytes: cookieHeader.length, cookies };
}

// Keys generated once, exported and imported as an app would get them (JWK).
const es = await jose.generateKeyPair("ES256", { extractable: true });
const esPublicJwk = await jose.exportJWK(es.publicKey);
const esPrivate = await jose.importJWK(await jose.exportJWK(es.privateKey), "ES256");
const esPublic = await jose.importJWK(esPublicJwk, "ES256");
const rs = await jose.generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
const rsPrivate = await jose.importJWK(await jose.exportJWK(rs.privateKey), "RS256");
const rsPublic = await jose.importJWK(await jose.exportJWK(rs.publicKey), "RS256");

const dpopHeader = { alg: "ES256", typ: "dpop+jwt", jwk: { kty: esPublicJwk.kty, crv: esPublicJwk.crv, x: esPublicJwk.x, y: esPublicJwk.y } };
const dpopPayload = { jti: "e1j3V_bKic8-LAEB", htm: "POST", htu: "https://example.auth0.com/oauth/token", iat: 1795800000 };
async function es256Sign() {
  return new jose.CompactSign(encoder.encode(JSON.stringify(dpopPayload))).setProtectedHeader(dpopHeader).sign(esPrivate);
}
const esJws = await es256Sign();
const idTokenPayload = {
  iss: "https://example.auth0.com/", sub: "auth0|user_123", aud: "client_abc123", iat: 1795800000, exp: 1795836000,
  nonce: "n-0S6_WzA2Mj", sid: "sid-abc", name: "Test User", email: "user_123@example.com",
};
const rsJws = await new jose.CompactSign(encoder.encode(JSON.stringify(idTokenPayload)))
  .setProtectedHeader({ alg: "RS256", kid: "key-1", typ: "JWT" })
  .sign(rsPrivate);
{
  const a = await jose.compactVerify(esJws, esPublic);
  const b = await jose.compactVerify(rsJws, rsPublic);
  const { codeVerifier, codeChallenge } = await pkce();
  if (JSON.parse(new TextDecoder().decode(a.payload)).htm !== "POST") throw new Error("es256 self-check");
  if (JSON.parse(new TextDecoder().decode(b.payload)).sub !== idTokenPayload.sub) throw new Error("rs256 self-check");
  if (codeVerifier.length !== 43 || createHash("sha256").update(codeVerifier).digest("base64url") !== codeChallenge) throw new Error("pkce self-check");
}

// ---- harness ------------------------------------------------------------------------------------
const benches = [
  ["session_open_1k", () => openSession(fixtures["1k"].requestHeaders)],
  ["session_open_4k", () => openSession(fixtures["4k"].requestHeaders)],
  ["session_seal_1k", () => sealSession(sessions["1k"])],
  ["session_seal_4k", () => sealSession(sessions["4k"])],
  ["es256_sign", es256Sign],
  ["es256_verify", () => jose.compactVerify(esJws, esPublic)],
  ["rs256_verify", () => jose.compactVerify(rsJws, rsPublic)],
  ["pkce", pkce],
];

async function timeLoop(fn, iters) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e3; // microseconds
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = [];
for (const [name, fn] of benches) {
  // Warm-up (also JIT) for about one run's time, and calibration of the iteration count.
  let iters = 16;
  let us = await timeLoop(fn, iters);
  while (us < RUN_MS * 1000 * 0.5) {
    iters *= 2;
    us = await timeLoop(fn, iters);
  }
  iters = Math.max(1, Math.round((iters * RUN_MS * 1000) / us));
  const perOp = [];
  for (let r = 0; r < RUNS; r++) perOp.push((await timeLoop(fn, iters)) / iters);
  results.push({ bench: name, median_us: median(perOp), min_us: Math.min(...perOp), max_us: Math.max(...perOp), runs: RUNS, iters_per_run: iters });
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const versions = {
  node: process.version,
  jose: JSON.parse(readFileSync(new URL("node_modules/jose/package.json", import.meta.url), "utf8")).version,
  "@panva/hkdf": JSON.parse(readFileSync(new URL("node_modules/@panva/hkdf/package.json", import.meta.url), "utf8")).version,
  "@edge-runtime/cookies": JSON.parse(readFileSync(new URL("node_modules/@edge-runtime/cookies/package.json", import.meta.url), "utf8")).version,
};
console.log(`Node ${versions.node}, jose ${versions.jose}, @panva/hkdf ${versions["@panva/hkdf"]}, @edge-runtime/cookies ${versions["@edge-runtime/cookies"]}; median of ${RUNS} runs of ~${RUN_MS} ms`);
for (const size of ["1k", "4k"]) {
  console.log(`session ${size}: ${JSON.stringify(fixtures[size].session).length} B JSON -> Cookie header ${fixtures[size].cookieHeaderBytes} B (${fixtures[size].cookies.join(", ")})`);
}
console.log("");
console.log("| operation | median µs/op | min | max |");
console.log("| --- | ---: | ---: | ---: |");
for (const r of results) console.log(`| ${r.bench} | ${fmt(r.median_us)} | ${fmt(r.min_us)} | ${fmt(r.max_us)} |`);
console.log("");
for (const r of results) {
  const extra = r.bench.startsWith("session_") ? { cookie_header_bytes: fixtures[r.bench.slice(-2)].cookieHeaderBytes } : {};
  console.log(JSON.stringify({ ...r, impl: "node-jose", ...extra, ...versions }));
}
