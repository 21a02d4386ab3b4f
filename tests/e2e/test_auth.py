"""The auth guard in a running service, attacked through a real client: the
test service with BOOKSTORE_JWT_VERIFY_KEYS set, tokens made with PyJWT."""
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import threading
import time
import uuid

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import wait_for
from bookstore.testing.v1 import testing_pb2 as pb
from bookstore.testing.v1 import testing_pb2_grpc as pb_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1 import reflection_pb2 as refl_pb2
from grpc_reflection.v1 import reflection_pb2_grpc as refl_grpc

ISS, AUD = "bookstore-identity", "bookstore"
UNAUTH, DENIED = grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED


def _pem_pair():
    key = ec.generate_private_key(ec.SECP256R1())
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return priv, pub


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    priv, pub = _pem_pair()
    (d / "k1.pub.pem").write_bytes(pub)
    return {"priv": priv, "pub": pub, "verify": f"k1={d / 'k1.pub.pem'}"}


def claims(role="CUSTOMER", **over):
    now = int(time.time())
    c = {"iss": ISS, "aud": AUD, "sub": "user-7", "role": role, "jti": uuid.uuid4().hex,
         "iat": now, "nbf": now, "exp": now + 900}
    c.update(over)
    return c


def token(keys, kid="k1", key=None, **over):
    return jwt.encode(claims(**over), key or keys["priv"], algorithm="ES256", headers={"kid": kid})


@pytest.fixture
def guarded(start_testsvc, keys):
    return start_testsvc(env={"BOOKSTORE_JWT_VERIFY_KEYS": keys["verify"]})


def call_fail(server, tok=None, raw_header=None):
    """Fail answers NOT_FOUND once past the guard; anything else is the guard's."""
    md = [("authorization", raw_header or f"Bearer {tok}")] if (tok or raw_header) else []
    with pytest.raises(grpc.RpcError) as err:
        pb_grpc.TestServiceStub(server.channel()).Fail(pb.FailRequest(code=5, message="past the guard"),
                                                      timeout=10, metadata=md)
    return err.value


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_valid_token_reaches_the_handler_with_its_principal(guarded, keys):
    err = call_fail(guarded, token(keys))
    assert err.code() == grpc.StatusCode.NOT_FOUND and err.details() == "past the guard"
    s = pb_grpc.TestServiceStub(guarded.channel())
    resp = s.Echo(pb.EchoRequest(message="hi"), timeout=10,
                  metadata=[("authorization", f"Bearer {token(keys, sub='user-99')}")])
    assert resp.principal == "user-99"
    assert s.Echo(pb.EchoRequest(message="anonymous"), timeout=10).principal == ""


def test_roles_are_enforced(guarded, keys):
    s = pb_grpc.TestServiceStub(guarded.channel())
    with pytest.raises(grpc.RpcError) as err:
        s.Stats(pb.StatsRequest(), timeout=10,
                metadata=[("authorization", f"Bearer {token(keys, role='SELLER')}")])
    assert err.value.code() == DENIED
    assert err.value.details() == "this method requires role ADMIN"
    s.Stats(pb.StatsRequest(), timeout=10,
            metadata=[("authorization", f"Bearer {token(keys, role='ADMIN')}")])
    with pytest.raises(grpc.RpcError) as err:
        s.SetServing(pb.SetServingRequest(service="x", serving=True), timeout=10,
                     metadata=[("authorization", f"Bearer {token(keys, role='CUSTOMER')}")])
    assert err.value.code() == DENIED
    assert err.value.details() == "this method requires role ADMIN or SERVICE"


def test_attacks_are_unauthenticated(guarded, keys):
    other_priv, _ = _pem_pair()
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = _b64(json.dumps(claims(role="ADMIN")).encode())
    hs256 = f"{header}.{body}." + _b64(hmac.new(keys["pub"], f"{header}.{body}".encode(),
                                                 hashlib.sha256).digest())
    none_header = _b64(json.dumps({"alg": "none", "kid": "k1"}).encode())
    good = token(keys)
    h, p, sig = good.split(".")
    tampered = ".".join([h, _b64(json.dumps(claims(role="ADMIN")).encode()), sig])
    attacks = {
        "no token": (None, "missing authorization: send 'authorization: Bearer <token>'"),
        "basic auth": ("raw:Basic dXNlcjpwYXNz", "authorization must be 'Bearer <token>'"),
        "garbage": ("not-a-jwt", "invalid token: malformed token"),
        "alg none": (f"{none_header}.{body}.", "invalid token: malformed token"),
        "HS256 keyed with the public key": (hs256,
                                            "invalid token: token algorithm not accepted (ES256 only)"),
        "expired": (token(keys, iat=now - 3600, nbf=now - 3600, exp=now - 1800),
                    "invalid token: token expired"),
        "not valid yet": (token(keys, nbf=now + 3600), "invalid token: token not valid yet"),
        "wrong issuer": (token(keys, iss="evil"), "invalid token: token from another issuer"),
        "wrong audience": (token(keys, aud="other"), "invalid token: token for another audience"),
        "tampered payload": (tampered, "invalid token: bad token signature"),
        "unknown kid": (token(keys, kid="k2", key=other_priv), "invalid token: unknown key id"),
        "right kid, other key": (token(keys, key=other_priv), "invalid token: bad token signature"),
        "unknown role": (token(keys, role="ROOT"),
                         "invalid token: token lacks subject, id or a known role"),
    }
    for name, (tok, message) in attacks.items():
        if tok and tok.startswith("raw:"):
            err = call_fail(guarded, raw_header=tok[4:])
        else:
            err = call_fail(guarded, tok)
        assert (err.code(), err.details()) == (UNAUTH, message), name
    # a token that is sent must be valid even on a public method
    with pytest.raises(grpc.RpcError) as err:
        pb_grpc.TestServiceStub(guarded.channel()).Echo(
            pb.EchoRequest(message="x"), timeout=10, metadata=[("authorization", "Bearer junk")])
    assert err.value.code() == UNAUTH


def test_health_and_reflection_ignore_credentials(guarded, keys):
    """grpcurl sends -H headers on its reflection calls too; an expired or
    broken token must not make `grpcurl list` or a health check fail: they
    are infrastructure, public, and look at no token."""
    now = int(time.time())
    expired = token(keys, iat=now - 3600, nbf=now - 3600, exp=now - 1800)
    for header in (f"Bearer {expired}", "Bearer junk", "Basic dXNlcjpwYXNz"):
        md = [("authorization", header)]
        h = health_pb2_grpc.HealthStub(guarded.channel())
        assert h.Check(health_pb2.HealthCheckRequest(service=""), timeout=10,
                       metadata=md).status == health_pb2.HealthCheckResponse.SERVING
        r = refl_grpc.ServerReflectionStub(guarded.channel())
        answers = list(r.ServerReflectionInfo(iter([refl_pb2.ServerReflectionRequest(
            list_services="")]), timeout=10, metadata=md))
        names = {s.name for s in answers[0].list_services_response.service}
        assert "bookstore.testing.v1.TestService" in names, header
    # the service's own methods still check what is sent
    assert call_fail(guarded, expired).code() == UNAUTH


REDIS = ["redis-cli", "-h", os.environ.get("BOOKSTORE_REDIS_HOST", ""), "-p",
         os.environ.get("BOOKSTORE_REDIS_PORT", "")]


def revoke_in_redis(kind, ident, when):
    """What identity's revocations write (libs/auth/auth-revocation-redis.c):
    the set the services' copies read at start-up, and the message they follow."""
    if kind == "j":
        subprocess.run(REDIS + ["ZADD", "auth:revoked:jtis", str(when), ident], check=True,
                       capture_output=True)
    else:
        subprocess.run(REDIS + ["HSET", "auth:revoked:subs", ident, str(when)], check=True,
                       capture_output=True)
    subprocess.run(REDIS + ["PUBLISH", "auth:revoked", f"{kind} {when} {ident}"], check=True,
                   capture_output=True)


def refused_as_revoked(server, tok):
    err = call_fail(server, tok)
    return (err.code(), err.details()) == (UNAUTH, "invalid token: revoked")


def test_revoked_tokens_and_subjects_are_refused(guarded, start_testsvc, keys):
    c = claims()
    tok = jwt.encode(c, keys["priv"], algorithm="ES256", headers={"kid": "k1"})
    assert call_fail(guarded, tok).code() == grpc.StatusCode.NOT_FOUND
    revoke_in_redis("j", c["jti"], c["exp"])
    # the service's in-process copy follows the channel: within its bound (1 s)
    assert wait_for(lambda: refused_as_revoked(guarded, tok), timeout=1.0)
    # a disabled user: every token issued until now
    sub = f"user-{uuid.uuid4().hex[:8]}"
    older = token(keys, sub=sub, iat=int(time.time()) - 5)
    revoke_in_redis("s", sub, int(time.time()))
    assert wait_for(lambda: refused_as_revoked(guarded, older), timeout=1.0)
    # a service started afterwards reads both from the set, not the channel
    later = start_testsvc(env={"BOOKSTORE_JWT_VERIFY_KEYS": keys["verify"]})
    assert refused_as_revoked(later, tok) and refused_as_revoked(later, older)
    assert call_fail(later, token(keys)).code() == grpc.StatusCode.NOT_FOUND


class FreezingProxy:
    """A TCP relay in front of Redis that can stop passing bytes while keeping
    the connections open: a link that is up but silent."""

    def __init__(self, port):
        self.target = ("127.0.0.1", port)
        self.frozen = threading.Event()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                while self.frozen.is_set():
                    time.sleep(0.005)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


def test_a_revocation_is_never_missed_for_longer_than_the_sync_bound(start_testsvc, keys):
    """The copy is proven current by PINGs down the subscription; a link that
    goes silent makes the guard fail closed once the bound has passed, so a
    token revoked meanwhile is not accepted; when the link is back the
    revocation is seen."""
    proxy = FreezingProxy(int(os.environ["BOOKSTORE_REDIS_PORT"]))
    bound_s = 0.3
    server = start_testsvc(env={"BOOKSTORE_JWT_VERIFY_KEYS": keys["verify"],
                                "BOOKSTORE_REDIS_PORT": str(proxy.port),
                                "BOOKSTORE_REVOCATION_SYNC_BOUND_MS": str(int(bound_s * 1000))})
    try:
        c = claims()
        tok = jwt.encode(c, keys["priv"], algorithm="ES256", headers={"kid": "k1"})
        assert call_fail(server, tok).code() == grpc.StatusCode.NOT_FOUND
        proxy.frozen.set()
        frozen_at = time.monotonic()
        revoke_in_redis("j", c["jti"], c["exp"])  # straight to Redis: the copy cannot see it
        answers = []
        while time.monotonic() - frozen_at < 3 * bound_s:
            err = call_fail(server, tok)
            answers.append((time.monotonic() - frozen_at, err.code()))
        # never accepted past the bound (50 ms for the call's own way)
        late = [code for at, code in answers if at > bound_s + 0.05]
        assert late and set(late) == {grpc.StatusCode.UNAVAILABLE}, answers
        assert all(code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE)
                   for _, code in answers)
        proxy.frozen.clear()
        assert wait_for(lambda: refused_as_revoked(server, tok), timeout=3.0)
        assert call_fail(server, token(keys)).code() == grpc.StatusCode.NOT_FOUND
    finally:
        proxy.frozen.clear()
        proxy.close()


def test_revocation_store_down_fails_closed(start_testsvc, keys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = start_testsvc(env={"BOOKSTORE_JWT_VERIFY_KEYS": keys["verify"],
                                "BOOKSTORE_REDIS_PORT": str(port)})
    err = call_fail(server, token(keys))
    assert err.code() == grpc.StatusCode.UNAVAILABLE
    assert "retry later" in err.details()
    # public calls without a token do not need the store
    assert pb_grpc.TestServiceStub(server.channel()).Echo(pb.EchoRequest(message="ok"),
                                                          timeout=10).message == "ok"


def test_bad_key_configuration_stops_the_service():
    env = dict(os.environ, BOOKSTORE_JWT_VERIFY_KEYS="k1=/nonexistent.pem")
    proc = subprocess.run([os.environ["BOOKSTORE_TESTSVC"]], env=env, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2
    assert "BOOKSTORE_JWT_VERIFY_KEYS: cannot read key file '/nonexistent.pem'" in proc.stderr


def test_a_certificate_can_carry_the_verification_key(start_testsvc, tmp_path):
    """The Helm chart generates a key and a self-signed certificate holding its
    public half (Helm cannot derive a bare public key): that certificate works
    as a verification key."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bookstore-jwt")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "jwt.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    server = start_testsvc(env={"BOOKSTORE_JWT_VERIFY_KEYS": f"c1={tmp_path / 'jwt.crt'}"})
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    s = pb_grpc.TestServiceStub(server.channel())
    good = jwt.encode(claims(), priv, algorithm="ES256", headers={"kid": "c1"})
    assert s.Echo(pb.EchoRequest(message="hi"), timeout=5,
                  metadata=[("authorization", f"Bearer {good}")]).message == "hi"
    other, _ = _pem_pair()  # a token from another key under that kid is refused
    bad = jwt.encode(claims(), other, algorithm="ES256", headers={"kid": "c1"})
    with pytest.raises(grpc.RpcError) as e:
        s.Echo(pb.EchoRequest(message="hi"), timeout=5,
               metadata=[("authorization", f"Bearer {bad}")])
    assert e.value.code() == UNAUTH

