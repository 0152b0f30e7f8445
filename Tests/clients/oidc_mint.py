#!/usr/bin/env python3
"""An independent token issuer for the OIDC verifier's tests: PyJWT and `cryptography` keys.

  oidc_mint.py serve --dir D [--tls] [--discovery-issuer URL] [--host ADDRESS]
      Creates the keys in D if missing, publishes the default JWKS, and serves on 127.0.0.1 (or the
      plain-http --host ADDRESS, for a relay on another host to reach) (port 0):
        /.well-known/openid-configuration   issuer and jwks_uri
        /jwks                               D/jwks.json, re-read on every request
        /stats                              {"discovery": N, "jwks": N}: requests served so far
      Prints "listening <issuer URL>" once it accepts connections. With --tls it serves https with a
      leaf for 127.0.0.1 signed by D/ca.pem (D/other-ca.pem is an unrelated CA).
  oidc_mint.py publish --dir D --keys a,b [--junk]
      Rewrites D/jwks.json with the public keys named; --junk adds an oct key, an enc key, a key
      without kid and a malformed key.
  oidc_mint.py mint --dir D  < specs.json  > tokens.json
      Each spec: {"key": NAME, "alg": ALG, "claims": {...}, "kid": NAME|null (default: the key name),
      "tamper": bool, "none": bool, "hs256_with_public_pem_of": NAME}. Prints a JSON list of tokens.

Keys: rsa-1, rsa-2 (rotation, unpublished by default), ec-256, ec-384, ed-1, foreign (never
published), enc-rsa (published only as a `use: enc` key) and kidless (published only without kid).
"""
import argparse
import base64
import datetime
import functools
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import ssl
import sys
import threading

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

KEYS = {
    "rsa-1": "rsa", "rsa-2": "rsa", "ec-256": "p256", "ec-384": "p384", "ed-1": "ed25519",
    "foreign": "rsa", "enc-rsa": "rsa", "kidless": "rsa",
}
DEFAULT_PUBLISHED = ["rsa-1", "ec-256", "ec-384", "ed-1"]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def key_path(directory, name):
    return os.path.join(directory, "keys", name + ".pem")


def ensure_keys(directory):
    os.makedirs(os.path.join(directory, "keys"), exist_ok=True)
    for name, kind in KEYS.items():
        path = key_path(directory, name)
        if os.path.exists(path):
            continue
        if kind == "rsa":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif kind == "p256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif kind == "p384":
            key = ec.generate_private_key(ec.SECP384R1())
        else:
            key = ed25519.Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        write_atomically(path, pem)


@functools.lru_cache(maxsize=None)
def load_key(directory, name):
    # Cached: loading an RSA key checks it, about 50 ms each; a batch of 200 tokens took over a minute
    # on a loaded 2-core machine without it.
    with open(key_path(directory, name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def public_jwk(directory, name):
    public = load_key(directory, name).public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        as_bytes = lambda n: n.to_bytes((n.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "kid": name, "use": "sig", "n": b64url(as_bytes(numbers.n)), "e": b64url(as_bytes(numbers.e))}
    if isinstance(public, ec.EllipticCurvePublicKey):
        size, curve, alg = (32, "P-256", "ES256") if public.curve.name == "secp256r1" else (48, "P-384", "ES384")
        numbers = public.public_numbers()
        return {"kty": "EC", "kid": name, "use": "sig", "alg": alg, "crv": curve,
                "x": b64url(numbers.x.to_bytes(size, "big")), "y": b64url(numbers.y.to_bytes(size, "big"))}
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "kid": name, "use": "sig", "alg": "EdDSA", "crv": "Ed25519", "x": b64url(raw)}


def junk_jwks(directory):
    enc = public_jwk(directory, "enc-rsa")
    enc["use"] = "enc"
    kidless = public_jwk(directory, "kidless")
    del kidless["kid"]
    return [
        {"kty": "oct", "kid": "hmac-1", "k": b64url(b"a shared secret that must never verify")},
        enc,
        kidless,
        {"kty": "RSA", "kid": "broken", "use": "sig", "n": "not*base64", "e": "AQAB"},
    ]


def publish(directory, names, junk):
    keys = [public_jwk(directory, name) for name in names]
    if junk:
        keys = junk_jwks(directory) + keys
    write_atomically(os.path.join(directory, "jwks.json"), json.dumps({"keys": keys}, indent=1).encode())


def public_pem(directory, name):
    return load_key(directory, name).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def mint_one(directory, spec):
    claims = spec.get("claims", {})
    kid = spec.get("kid", spec.get("key"))
    header = {"kid": kid} if kid is not None else {}
    if spec.get("none"):
        head = dict(header, alg="none", typ="JWT")
        return b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode()) + "."
    if spec.get("hs256_with_public_pem_of"):
        # PyJWT refuses a PEM as an HMAC secret, so build the classic key-confusion token by hand.
        secret = public_pem(directory, spec["hs256_with_public_pem_of"])
        head = dict(header, alg="HS256", typ="JWT")
        signing_input = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64url(signature)
    token = jwt.encode(claims, load_key(directory, spec["key"]), algorithm=spec["alg"], headers=header)
    if spec.get("tamper"):
        head, payload, signature = token.split(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
        raw[0] ^= 0x01
        token = head + "." + payload + "." + b64url(bytes(raw))
    return token


def make_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_tls_files(directory):
    ca_key, ca_cert = make_ca("oidc-mint test CA")
    _, other_cert = make_ca("unrelated test CA")
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_cert.subject).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = lambda cert: cert.public_bytes(serialization.Encoding.PEM)
    write_atomically(os.path.join(directory, "ca.pem"), pem(ca_cert))
    write_atomically(os.path.join(directory, "other-ca.pem"), pem(other_cert))
    write_atomically(os.path.join(directory, "leaf.pem"), pem(leaf))
    write_atomically(os.path.join(directory, "leaf-key.pem"), leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def serve(directory, tls, discovery_issuer, host="127.0.0.1"):
    ensure_keys(directory)
    if not os.path.exists(os.path.join(directory, "jwks.json")):
        publish(directory, DEFAULT_PUBLISHED, junk=False)
    counts = {"discovery": 0, "jwks": 0}
    lock = threading.Lock()
    state = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, body):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            issuer = state["issuer"]
            if self.path == "/.well-known/openid-configuration":
                with lock:
                    counts["discovery"] += 1
                doc = {"issuer": discovery_issuer or issuer, "jwks_uri": issuer + "/jwks",
                       "id_token_signing_alg_values_supported": ["RS256"]}
                self.reply(json.dumps(doc).encode())
            elif self.path == "/jwks":
                with lock:
                    counts["jwks"] += 1
                with open(os.path.join(directory, "jwks.json"), "rb") as f:
                    self.reply(f.read())
            elif self.path == "/stats":
                with lock:
                    self.reply(json.dumps(counts).encode())
            else:
                self.send_error(404)

    server = http.server.ThreadingHTTPServer((host, 0), Handler)
    scheme = "http"
    if tls:
        make_tls_files(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(directory, "leaf.pem"), os.path.join(directory, "leaf-key.pem"))
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state["issuer"] = "%s://%s:%d" % (scheme, host, server.server_address[1])
    print("listening " + state["issuer"], flush=True)
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--dir", required=True)
    s.add_argument("--tls", action="store_true")
    s.add_argument("--discovery-issuer")
    s.add_argument("--host", default="127.0.0.1")
    p = sub.add_parser("publish")
    p.add_argument("--dir", required=True)
    p.add_argument("--keys", required=True)
    p.add_argument("--junk", action="store_true")
    m = sub.add_parser("mint")
    m.add_argument("--dir", required=True)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.dir, args.tls, args.discovery_issuer, args.host)
    elif args.command == "publish":
        ensure_keys(args.dir)
        publish(args.dir, [k for k in args.keys.split(",") if k], args.junk)
    else:
        ensure_keys(args.dir)
        specs = json.load(sys.stdin)
        json.dump([mint_one(args.dir, spec) for spec in specs], sys.stdout)


if __name__ == "__main__":
    main()
