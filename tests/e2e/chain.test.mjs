// Role chains, the person filter and least privilege, in the browser. The test writes its
// own data (alice → DeployRole → ProdAdmin, an orphan session, an Identity Center user)
// and computes every expectation from those records in plain JS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { serve, launch, openApp, tile } from "./support.mjs";

const root = resolve(import.meta.dirname, "../..");
const ACCT = "111122223333";
let server, browser, file, csv, recs;

const user = (name, key) => ({
  type: "IAMUser", accountId: ACCT, userName: name, accessKeyId: key,
  principalId: `AIDA${name.toUpperCase()}`, arn: `arn:aws:iam::${ACCT}:user/${name}`,
});
const session = (role, name, key) => ({
  type: "AssumedRole", accountId: ACCT, accessKeyId: key, principalId: `AROA${role.toUpperCase()}:${name}`,
  arn: `arn:aws:sts::${ACCT}:assumed-role/${role}/${name}`,
  sessionContext: { sessionIssuer: { type: "Role", userName: role, accountId: ACCT, arn: `arn:aws:iam::${ACCT}:role/${role}` } },
});
let n = 0;
const rec = (who, source, name, extra = {}) => {
  n += 1;
  return {
    eventVersion: "1.10", eventID: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    eventTime: `2026-03-01T10:${String(n).padStart(2, "0")}:00Z`, eventSource: `${source}.amazonaws.com`,
    eventName: name, awsRegion: "us-east-1", sourceIPAddress: "203.0.113.9", userAgent: "aws-cli/2.22.4",
    recipientAccountId: ACCT, userIdentity: who, ...extra,
  };
};
const assume = (who, role, name, key) => rec(who, "sts", "AssumeRole", {
  requestParameters: { roleArn: `arn:aws:iam::${ACCT}:role/${role}`, roleSessionName: name },
  responseElements: { credentials: { accessKeyId: key, expiration: "2026-03-01T11:00:00Z" } },
  resources: [{ ARN: `arn:aws:iam::${ACCT}:role/${role}`, accountId: ACCT, type: "AWS::IAM::Role" }],
});

function data() {
  const alice = user("alice", "AKIAEXAMPLEALICE0001");
  const deploy = session("DeployRole", "alice-deploy", "ASIAEXAMPLEDEPLOY001");
  const admin = session("ProdAdmin", "alice-admin", "ASIAEXAMPLEPRODADM01");
  const orphan = session("Orphan", "lost", "ASIAEXAMPLEORPHAN001");
  return [
    rec(alice, "s3", "ListBuckets"),
    assume(alice, "DeployRole", "alice-deploy", "ASIAEXAMPLEDEPLOY001"),
    rec(deploy, "ec2", "DescribeInstances"),
    assume(deploy, "ProdAdmin", "alice-admin", "ASIAEXAMPLEPRODADM01"),
    rec(admin, "ec2", "DescribeInstances"),
    rec(admin, "ec2", "DescribeInstances"),
    rec(admin, "s3", "PutBucketVersioning", { requestParameters: { bucketName: "acme-assets" } }),
    rec(admin, "lambda", "ListFunctions20150331"),
    rec(admin, "iam", "CreateUser", { errorCode: "AccessDenied", errorMessage: "not authorized", requestParameters: { userName: "x" } }),
    rec(admin, "kms", "Decrypt", { readOnly: true }),
    // A failed AssumeRole issues nothing.
    rec(alice, "sts", "AssumeRole", { errorCode: "AccessDenied", requestParameters: { roleArn: `arn:aws:iam::${ACCT}:role/Nope` } }),
    rec(user("bob", "AKIAEXAMPLEBOB000001"), "s3", "ListBuckets"),
    rec(orphan, "s3", "ListBuckets"),
    rec({ type: "IdentityCenterUser", accountId: ACCT, onBehalfOf: { userId: "94482488-3041-7026", identityStoreArn: "x" } }, "sso", "ListInstances"),
  ];
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "trailglass-chain-"));
  recs = data();
  file = join(dir, "chain.json");
  writeFileSync(file, JSON.stringify({ Records: recs }));
  csv = join(dir, "idc.csv");
  writeFileSync(csv, "userId,name\n94482488-3041-7026,Grace Hopper\nbroken line\n");
  server = await serve(join(root, "dist"));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

// ---- Independent chain walk over the records ----
const issuing = ["AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetFederationToken", "GetSessionToken"];
const issuer = (key) => recs.find((r) => issuing.includes(r.eventName) && !r.errorCode && r.responseElements?.credentials?.accessKeyId === key);
const isSession = (u) => u.type === "AssumedRole" || u.type === "FederatedUser";
/** [origin name or null, roles...] for an identity, following keys back. */
function walkChain(u) {
  const roles = [];
  let cur = u;
  for (let depth = 0; depth < 16; depth += 1) {
    if (!isSession(cur)) return { origin: cur.userName ?? cur.onBehalfOf?.userId, roles };
    roles.unshift(cur.sessionContext.sessionIssuer.userName);
    const r = issuer(cur.accessKeyId);
    if (!r) return { origin: null, roles, missing: cur.accessKeyId };
    cur = r.userIdentity;
  }
  return { origin: null, roles };
}
const sessionName = (u) => u.arn.split("/").pop();

async function loaded() {
  const { page, errors } = await openApp(browser, server.url);
  await page.setInputFiles('[data-testid="file-input"]', [file]);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 60_000 });
  assert.equal(await tile(page, "kpi-events"), recs.length);
  return { page, errors };
}

async function go(page, hash) {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForFunction((h) => location.hash === h, hash);
  await page.waitForTimeout(50);
}

/** Waits until the events tile shows `n` (the person filter answers once chains are traced). */
async function eventsTile(page, n) {
  await page.waitForSelector('[data-testid="person-note"][data-ready="true"]', { timeout: 30_000 });
  await page.waitForFunction((want) => document.querySelector('[data-testid="kpi-events"]')?.textContent.replace(/\D/g, "") === String(want), n);
}

const adminIdentity = () => recs.find((r) => r.userIdentity.accessKeyId === "ASIAEXAMPLEPRODADM01").userIdentity;
function expectedAdminChain() {
  const u = adminIdentity();
  const { origin, roles } = walkChain(u);
  assert.equal(roles.length, 2, "the test data has two hops");
  const last = roles.pop();
  return [origin, ...roles, `${last} (session ${sessionName(u)})`].join(" → ");
}

test("actor page and event detail show the chain back to alice", async () => {
  const { page, errors } = await loaded();
  const expected = expectedAdminChain();
  await go(page, "#/users/alice-admin");
  const chain = page.locator('[data-testid="chains-panel"] [data-testid="actor-chain"]');
  await chain.waitFor({ timeout: 30_000 });
  assert.equal((await chain.locator('[data-testid="chain-line"]').allTextContents()).map((t) => t.trim()).join("|"), expected);
  // The event detail of one of the session's events says the same.
  const id = recs.find((r) => r.userIdentity.accessKeyId === "ASIAEXAMPLEPRODADM01").eventID;
  await go(page, `#/?eventId=${id}`);
  await page.click('[data-testid="event-row"]');
  const detail = page.locator('[data-testid="event-chain"] [data-testid="actor-chain"]');
  await detail.waitFor({ timeout: 30_000 });
  assert.equal((await detail.textContent()).trim(), expected);
  // An orphan session says why it cannot be traced.
  const orphan = recs.find((r) => r.userIdentity.accessKeyId === "ASIAEXAMPLEORPHAN001").userIdentity;
  const missing = walkChain(orphan).missing;
  await go(page, `#/users/${sessionName(orphan)}`);
  await page.locator('[data-testid="chains-panel"] [data-testid="chain-gap"]').waitFor({ timeout: 30_000 });
  const gap = await page.textContent('[data-testid="chains-panel"] [data-testid="chain-gap"]');
  assert.ok(gap.includes(`the call that issued ${missing} is not in the loaded data`), gap);
  assert.deepEqual(errors, []);
  await page.close();
});

test("person=alice: her own events plus her sessions' events", async () => {
  const { page, errors } = await loaded();
  const hers = recs.filter((r) => {
    if (!isSession(r.userIdentity)) return r.userIdentity.userName === "alice";
    return walkChain(r.userIdentity).origin === "alice";
  });
  const direct = recs.filter((r) => r.userIdentity.userName === "alice").length;
  assert.ok(hers.length > direct && direct > 0, "the data must have both kinds");
  // Reached through the link on the actor page.
  await go(page, "#/users/alice-admin");
  await page.locator('[data-testid="person-link"][data-person="alice"]').click();
  await page.waitForFunction(() => location.hash.includes("person=alice"));
  await eventsTile(page, hers.length);
  const chips = await page.$$eval('[data-testid="filter-chip"]', (c) => c.map((x) => x.textContent));
  assert.ok(chips.some((c) => c.includes("person = alice")), chips.join());
  // And by route, combined with another filter.
  await go(page, "#/?person=alice&service=ec2");
  await eventsTile(page, hers.filter((r) => r.eventSource === "ec2.amazonaws.com").length);
  await go(page, "#/?person=bob");
  await eventsTile(page, recs.filter((r) => r.userIdentity.userName === "bob").length);
  assert.deepEqual(errors, []);
  await page.close();
});

test("policy-json grants exactly the distinct successful calls; download matches", async () => {
  const { page, errors } = await loaded();
  await go(page, "#/users/alice-admin");
  const mine = recs.filter((r) => r.userIdentity.accessKeyId === "ASIAEXAMPLEPRODADM01");
  // Service prefix from eventSource, API-version suffix stripped (ListFunctions20150331).
  const action = (r) => `${r.eventSource.replace(".amazonaws.com", "")}:${r.eventName.replace(/\d{8}(v\d+)?$/, "")}`;
  const expected = [...new Set(mine.filter((r) => !r.errorCode).map(action))].sort();
  const denied = [...new Set(mine.filter((r) => r.errorCode).map(action))].filter((a) => !expected.includes(a));
  assert.ok(expected.includes("lambda:ListFunctions") && denied.length === 1);
  const text = await page.textContent('[data-testid="policy-json"]');
  const policy = JSON.parse(text);
  const granted = policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
  assert.deepEqual(granted, expected);
  for (const a of denied) assert.ok(!granted.includes(a));
  const notes = await page.textContent('[data-testid="policy-notes"]');
  for (const a of denied) assert.ok(notes.includes(`${a} was denied every time`), notes);
  // The bucket the session named narrows its statement.
  const s3 = policy.Statement.find((s) => [].concat(s.Action).includes("s3:PutBucketVersioning"));
  assert.deepEqual([].concat(s3.Resource), ["arn:aws:s3:::acme-assets"]);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="policy-download"]')]);
  assert.equal(readFileSync(await download.path(), "utf8"), text);
  assert.deepEqual(errors, []);
  await page.close();
});

test("Identity Center names come from the CSV; bad lines are reported", async () => {
  const { page, errors } = await loaded();
  const id = recs.find((r) => r.userIdentity.type === "IdentityCenterUser").userIdentity.onBehalfOf.userId;
  const [, name] = readFileSync(csv, "utf8").split("\n").find((l) => l.startsWith(id)).split(",");
  await go(page, `#/users/${id}`);
  const chain = page.locator('[data-testid="chains-panel"] [data-testid="actor-chain"]');
  await chain.waitFor({ timeout: 30_000 });
  assert.equal((await chain.textContent()).trim(), id);
  await page.setInputFiles('[data-testid="idc-csv-input"]', [csv]);
  await page.waitForFunction((want) => document.querySelector('[data-testid="chains-panel"] [data-testid="actor-chain"]')?.textContent.trim() === want,
    `${name} (${id})`);
  const messages = await page.$$eval('[data-testid="idc-csv-messages"] li', (l) => l.map((x) => x.textContent));
  assert.equal(messages[0], "1 Identity Center names loaded.");
  assert.ok(messages[1].startsWith("line 3:"), messages.join("|"));
  assert.deepEqual(errors, []);
  await page.close();
});

test("the demo data shows a two-hop chain", async () => {
  const { page, errors } = await openApp(browser, `${server.url}#demo`);
  await page.waitForSelector('[data-testid="app"][data-state="ready"]', { timeout: 120_000 });
  await go(page, "#/users/alice-admin");
  const chain = page.locator('[data-testid="chains-panel"] [data-testid="actor-chain"]');
  await chain.waitFor({ timeout: 60_000 });
  // The scripted scenario in core::demo: alice assumes DeployRole, which assumes ProdAdmin.
  assert.equal((await chain.textContent()).trim(), "alice → DeployRole → ProdAdmin (session alice-admin)");
  const policy = JSON.parse(await page.textContent('[data-testid="policy-json"]'));
  const granted = policy.Statement.flatMap((s) => [].concat(s.Action));
  assert.ok(granted.includes("lambda:UpdateFunctionCode") && !granted.includes("iam:CreateUser"), granted.join());
  assert.deepEqual(errors, []);
  await page.close();
});
