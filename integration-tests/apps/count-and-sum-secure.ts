// The count-and-sum app connecting through SASL PLAIN over TLS: the client settings are the module's own
// config (`kafka.ssl`, `kafka.sasl`), as a user would write them; the test passes the secrets by environment.
import { readFileSync } from "node:fs";
import { app } from "weir-streams";
import countAndSum from "./count-and-sum.ts";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

export default app({
  ...countAndSum.settings,
  topology: countAndSum.topology,
  bootstrapServers: required("KAFKA_SASL_SSL_BOOTSTRAP_SERVERS"),
  kafka: {
    ssl: { ca: readFileSync(required("KAFKA_TLS_CA_FILE"), "utf8"), rejectUnauthorized: true },
    sasl: { mechanism: "plain", username: required("KAFKA_SASL_USERNAME"), password: required("KAFKA_SASL_PASSWORD") },
  },
});
