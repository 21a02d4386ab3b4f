// Validates rendered Kubernetes manifests (a multi-document YAML stream on
// stdin) against the Kubernetes API schemas (npm kubernetes-models, and the
// prometheus-operator models for ServiceMonitor), then checks the chart's own
// promises on every bookstore service: native gRPC probes, non-root,
// read-only root filesystem, no privilege escalation, no capabilities.
// Exits non-zero on the first class of errors found, listing them all.
import { parseAllDocuments } from "yaml";

const input = await new Promise((resolve) => {
  let data = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (data += chunk));
  process.stdin.on("end", () => resolve(data));
});

const errors = [];
const seen = {};
const modules = {};

async function modelFor(apiVersion, kind) {
  const path = apiVersion === "monitoring.coreos.com/v1"
    ? "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1"
    : `kubernetes-models/${apiVersion}`;
  if (!(path in modules)) {
    try {
      modules[path] = await import(path);
    } catch {
      modules[path] = null;
    }
  }
  return modules[path] && modules[path][kind];
}

for (const doc of parseAllDocuments(input)) {
  if (doc.errors.length) {
    errors.push(`YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    continue;
  }
  const obj = doc.toJS();
  if (!obj) continue;
  const name = `${obj.kind}/${obj.metadata && obj.metadata.name}`;
  const Model = await modelFor(obj.apiVersion, obj.kind);
  if (!Model) {
    errors.push(`${name}: no schema for ${obj.apiVersion} ${obj.kind}`);
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    errors.push(`${name}: ${e.message}`);
  }
  seen[obj.kind] = (seen[obj.kind] || 0) + 1;
  const labels = (obj.metadata && obj.metadata.labels) || {};
  if (obj.kind === "Deployment" && labels["app.kubernetes.io/part-of"] === "bookstore" &&
      labels["app.kubernetes.io/name"] !== "redis") {
    const pod = obj.spec.template.spec;
    const c = pod.containers[0];
    const sc = c.securityContext || {};
    const check = (ok, what) => ok || errors.push(`${name}: ${what}`);
    check(pod.securityContext && pod.securityContext.runAsNonRoot === true, "pod not runAsNonRoot");
    check(sc.readOnlyRootFilesystem === true, "root filesystem not read-only");
    check(sc.allowPrivilegeEscalation === false, "privilege escalation allowed");
    check(sc.capabilities && (sc.capabilities.drop || []).includes("ALL"), "capabilities not dropped");
    // the services answer gRPC health; the gateway, an HTTP server, /healthz
    const gateway = labels["app.kubernetes.io/name"] === "gateway";
    for (const probe of gateway ? ["readinessProbe", "livenessProbe"]
                                : ["startupProbe", "readinessProbe", "livenessProbe"])
      check(c[probe] && (gateway ? c[probe].httpGet && c[probe].httpGet.path === "/healthz"
                                 : c[probe].grpc && c[probe].grpc.port),
            `${probe} is not a ${gateway ? "/healthz" : "gRPC"} probe`);
    check(c.resources && c.resources.requests, "no resource requests");
  }
}

if (errors.length) {
  console.error(errors.join("\n"));
  process.exit(1);
}
console.log(Object.entries(seen).map(([k, n]) => `${n} ${k}`).join(", "));
