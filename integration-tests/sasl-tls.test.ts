// `weir run` through the broker's SASL_SSL listener (SASL PLAIN over TLS, the broker's self-signed
// certificate as the CA), with the client settings in the module's config: it processes its input
// exactly, and a second run on an empty state dir restores its store through the same listener; with a
// wrong password it fails at start and says why.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { killAll, readSettled, startWeir, TestTopics, uniqueName } from "./helpers/cluster.ts";
import { amountsByKey, payments, writePayments } from "./helpers/payments.ts";
import { describeReport, verifyCounts } from "./helpers/verify-counts.ts";

const topics = new TestTopics();
after(async () => {
  await killAll();
  await topics.drop();
});

const secureApp = "integration-tests/apps/count-and-sum-secure.ts";

function secured(): Record<string, string> {
  const names = ["KAFKA_SASL_SSL_BOOTSTRAP_SERVERS", "KAFKA_TLS_CA_FILE", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"];
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0) throw new Error(`${missing.join(", ")} not set: run this test with scripts/with-services.sh (its broker has a SASL_SSL listener) or set them for yours`);
  return Object.fromEntries(names.map((n) => [n, process.env[n]!]));
}

test("weir run processes its input through SASL PLAIN over TLS, set in the module's config, and restores its store through it", async () => {
  const env = secured();
  const input = await topics.create("sasl-payments", 2);
  const output = await topics.create("sasl-totals", 2);
  const applicationId = uniqueName("sasl");
  topics.adopt(`${applicationId}-totals-changelog`);
  const written = payments({ count: 2_000, keys: 100, seed: 23 });
  await writePayments(input, written);
  // The plaintext address is withheld: only the SASL_SSL one can reach the broker.
  const weir = startWeir(["run", secureApp, "--until-end"], {
    ...env,
    KAFKA_BOOTSTRAP_SERVERS: "",
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
  });
  assert.equal(await weir.exited(120_000), 0, weir.stderr().slice(-3000));
  const report = verifyCounts(amountsByKey(written), await readSettled(output, written.length, 30_000));
  assert.ok(report.ok, describeReport(report));
  // A second run on an empty state dir restores the store from its changelog through the same listener (the
  // changelog reader has connections of its own), then counts on from the restored totals.
  const more = payments({ count: 1_000, keys: 100, seed: 24 });
  await writePayments(input, more);
  const again = startWeir(["run", secureApp, "--until-end"], {
    ...env,
    KAFKA_BOOTSTRAP_SERVERS: "",
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: applicationId,
  });
  assert.equal(await again.exited(120_000), 0, again.stderr().slice(-3000));
  const restored = again.logs("restore done").reduce((sum, l) => sum + Number(l.restored ?? 0), 0);
  assert.ok(restored > 0, `the second run restored no changelog record:\n${again.stderr().slice(-3000)}`);
  const all = [...written, ...more];
  const continued = verifyCounts(amountsByKey(all), await readSettled(output, all.length, 30_000));
  assert.ok(continued.ok, describeReport(continued));
});

test("a wrong SASL password makes weir run fail at start, saying authentication failed", async () => {
  const env = secured();
  const input = await topics.create("sasl-denied", 1);
  const output = await topics.create("sasl-denied-out", 1);
  const weir = startWeir(["run", secureApp], {
    ...env,
    KAFKA_SASL_PASSWORD: "not-the-password",
    KAFKA_BOOTSTRAP_SERVERS: "",
    COUNT_INPUT_TOPIC: input,
    COUNT_OUTPUT_TOPIC: output,
    WEIR_APPLICATION_ID: uniqueName("sasl-denied"),
  });
  const code = await weir.exited(60_000);
  assert.notEqual(code, 0);
  assert.match(weir.stderr(), /SASL PLAIN authentication failed|Authentication failed/i);
});
