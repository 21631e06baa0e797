#!/usr/bin/env bash
# Smoke test of a Confluent-compatible schema registry with curl.
#
# Usage: scripts/registry/smoke.sh [BASE_URL]
#   BASE_URL defaults to $SCHEMA_REGISTRY_URL, else to `scripts/registry.sh status`.
#
# Uses unique subject names per run, so it can run against a registry that
# already holds data. Exits non-zero if any check fails.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
URL="${1:-${SCHEMA_REGISTRY_URL:-}}"
if [[ -z "$URL" ]]; then
  URL="$("$SCRIPT_DIR/../registry.sh" status)" || { echo "smoke.sh: no registry running (run scripts/registry.sh start)" >&2; exit 1; }
fi
URL="${URL%/}"
command -v curl >/dev/null 2>&1 || { echo "smoke.sh: curl is required" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "smoke.sh: python3 is required (JSON quoting)" >&2; exit 1; }

CT='Content-Type: application/vnd.schemaregistry.v1+json'
RUN="smoke$(date +%s)$$"
PASSED=0
FAILED=0
BODY=""
CODE=""

# req METHOD PATH [JSON]  -> sets BODY and CODE
req() {
  local out
  out="$(curl -s -X "$1" -H "$CT" -H 'Accept: application/vnd.schemaregistry.v1+json' \
    ${3:+--data "$3"} -w '\n%{http_code}' "$URL$2")" || true
  CODE="${out##*$'\n'}"
  BODY="${out%$'\n'*}"
}

check() { # check NAME CONDITION...
  local name="$1"; shift
  if "$@"; then
    PASSED=$((PASSED + 1)); echo "ok   - $name"
  else
    FAILED=$((FAILED + 1)); echo "FAIL - $name (HTTP $CODE: $BODY)"
  fi
}

# schema_body SCHEMA_TEXT [SCHEMA_TYPE] -> {"schema": "...", "schemaType": ...}
schema_body() {
  python3 -c 'import json,sys
d={"schema": sys.argv[1]}
if len(sys.argv) > 2 and sys.argv[2]: d["schemaType"] = sys.argv[2]
print(json.dumps(d))' "$@"
}
json_get() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]); print(v.get(sys.argv[2], ""))' "$BODY" "$1" 2>/dev/null || true; }

code_is() { [[ "$CODE" == "$1" ]]; }
body_has() { [[ "$BODY" == *"$1"* ]]; }
id_is() { [[ "$BODY" == *"\"id\":$1"[,\}]* ]]; }
version_is() { [[ "$BODY" == *"\"version\":$1"[,\}]* ]]; }
not_found_subject() { [[ "$CODE" == 404 && "$BODY" == *40401* ]]; }

AVRO_V1='{"type":"record","name":"User","namespace":"weir.smoke","fields":[{"name":"id","type":"string"}]}'
AVRO_V2='{"type":"record","name":"User","namespace":"weir.smoke","fields":[{"name":"id","type":"string"},{"name":"email","type":["null","string"],"default":null}]}'
AVRO_BAD='{"type":"record","name":"User","namespace":"weir.smoke","fields":[{"name":"id","type":"string"},{"name":"age","type":"int"}]}'
JSON_S='{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}'
PROTO_S=$'syntax = "proto3";\npackage weir.smoke;\n\nmessage User {\n  string id = 1;\n}\n'

echo "# registry: $URL (subjects prefixed $RUN)"
req GET /subjects
check "GET /subjects answers 200" code_is 200

AV="$RUN-avro-value"
req POST "/subjects/$AV/versions" "$(schema_body "$AVRO_V1")"
check "register Avro schema" code_is 200
AVRO_ID="$(json_get id)"
check "register returned an id ($AVRO_ID)" test -n "$AVRO_ID"

req GET "/schemas/ids/$AVRO_ID"
check "GET /schemas/ids/$AVRO_ID returns the Avro schema" body_has '"name\":\"User\"'

req GET "/subjects/$AV/versions/latest"
check "GET latest version has id $AVRO_ID" id_is "$AVRO_ID"
check "GET latest version is version 1" version_is 1

req POST "/subjects/$AV" "$(schema_body "$AVRO_V1")"
check "lookup schema under subject (POST /subjects/{s})" code_is 200

req POST "/subjects/$AV/versions" "$(schema_body "$AVRO_V1")"
check "re-registering the same schema returns the same id" id_is "$AVRO_ID"

req POST "/subjects/$RUN-json-value/versions" "$(schema_body "$JSON_S" JSON)"
check "register JSON Schema" code_is 200
JSON_ID="$(json_get id)"
req GET "/schemas/ids/$JSON_ID"
check "fetch JSON Schema by id has schemaType JSON" body_has '"schemaType":"JSON"'

req POST "/subjects/$RUN-proto-value/versions" "$(schema_body "$PROTO_S" PROTOBUF)"
check "register Protobuf schema" code_is 200
PROTO_ID="$(json_get id)"
req GET "/schemas/ids/$PROTO_ID"
check "fetch Protobuf schema by id has schemaType PROTOBUF" body_has '"schemaType":"PROTOBUF"'

req PUT "/config/$AV" '{"compatibility":"BACKWARD"}'
check "PUT /config/{subject} BACKWARD" body_has '"compatibilityLevel":"BACKWARD"'
req GET "/config/$AV"
check "GET /config/{subject} is BACKWARD" body_has '"compatibilityLevel":"BACKWARD"'

req POST "/compatibility/subjects/$AV/versions/latest" "$(schema_body "$AVRO_V2")"
check "added field with default is compatible" body_has '"is_compatible":true'
req POST "/compatibility/subjects/$AV/versions/latest" "$(schema_body "$AVRO_BAD")"
check "added field without default is incompatible" body_has '"is_compatible":false'

req POST "/subjects/$AV/versions" "$(schema_body "$AVRO_BAD")"
check "registering an incompatible schema is rejected (409)" code_is 409

req POST "/subjects/$AV/versions" "$(schema_body "$AVRO_V2")"
check "registering the compatible evolution succeeds" code_is 200
V2_ID="$(json_get id)"
req GET "/subjects/$AV/versions"
check "subject now has versions [1,2]" body_has '[1,2]'
req GET "/schemas/ids/$V2_ID"
check "GET /schemas/ids/$V2_ID returns the evolved schema" body_has 'email'

req GET "/subjects/$RUN-missing-value/versions/latest"
check "unknown subject -> 404 with error_code 40401" not_found_subject

echo "$PASSED passed, $FAILED failed"
[[ "$FAILED" -eq 0 ]]
