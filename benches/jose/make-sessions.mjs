// Writes ../sessions/session-1k.json and ../sessions/session-4k.json: the two session documents
// that bench.mjs (and the Rust benches) seal and open. Deterministic: running it again rewrites the
// same bytes. Each file is compact JSON (as JSON.stringify writes it), no trailing newline, and
// exactly TARGET bytes long.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";

// Deterministic base64url filler of length n (stands in for token material).
function filler(seed, n) {
  let out = "";
  for (let i = 0; out.length < n; i++) {
    out += createHash("sha256").update(`${seed}/${i}`).digest("base64url");
  }
  return out.slice(0, n);
}

function jwtLike(seed, headerLen, payloadLen) {
  return `eyJ${filler(`${seed}-h`, headerLen - 3)}.eyJ${filler(`${seed}-p`, payloadLen - 3)}.${filler(`${seed}-s`, 86)}`;
}

function makeSession(target) {
  const user = {
    sub: "user_123",
    name: "Test User",
    email: "user_123@example.com",
    email_verified: true,
  };
  const session = {
    user,
    tokenSet: {
      accessToken: jwtLike("at", 36, 80),
      idToken: jwtLike("id", 36, 120),
      refreshToken: filler("rt", 32),
      scope: "openid profile email offline_access",
      requestedScope: "openid profile email offline_access",
      expiresAt: 1900000000,
    },
    internal: { sid: filler("sid", 32), createdAt: 1795800000 },
  };
  const size = () => Buffer.byteLength(JSON.stringify(session));
  // Add claims of ~100 bytes while they fit, then size the last one to hit the target exactly.
  for (let n = 0; ; n++) {
    const key = `https://example.com/claim_${n}`;
    user[key] = "";
    const room = target - size();
    if (room < 0) throw new Error(`base session is over ${target} bytes`);
    if (room > 150) {
      user[key] = filler(`claim-${n}`, 80);
    } else {
      user[key] = filler(`claim-${n}`, room);
      break;
    }
  }
  if (size() !== target) throw new Error(`session is ${size()} bytes, wanted ${target}`);
  return JSON.stringify(session);
}

for (const [name, target] of [["session-1k.json", 1024], ["session-4k.json", 4096]]) {
  const url = new URL(`../sessions/${name}`, import.meta.url);
  writeFileSync(url, makeSession(target));
  console.log(`wrote ${name} (${target} bytes)`);
}
