#!/usr/bin/python3
"""A kubectl exec credential plugin for the tests: gets an ID token from oidc-provider-mock (with
oidc_mock_token.py, next to this file) and prints it as an ExecCredential. Stdlib only, so Debian's
/usr/bin/python3 can run it as the agent's uid.

  kubectl_oidc_plugin.py --issuer http://127.0.0.1:P --sub agent-7 [--client-id portcullis]

Like kubelogin, it keeps the token in $HOME/.kube/cache/test-oidc-plugin/ and hands out the same one
until a minute before it expires, so one agent's kubectl invocations share a token (and a run). A
HOME it cannot write only means a new token each time.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import time


def expiry(token):
    """The token's exp claim, or 0 when it cannot be read."""
    try:
        payload = token.split(".")[1]
        return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return 0


def cache_path():
    home = os.environ.get("HOME")
    if not home:
        return None
    key = hashlib.sha256("\0".join(sys.argv[1:]).encode()).hexdigest()[:32]
    return os.path.join(home, ".kube", "cache", "test-oidc-plugin", key + ".token")


def cached():
    path = cache_path()
    try:
        with open(path) as f:
            token = f.read().strip()
    except (OSError, TypeError):
        return None
    return token if expiry(token) - 60 > time.time() else None


def keep(token):
    path = cache_path()
    if not path:
        return
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        temporary = path + ".%d" % os.getpid()
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(token)
        os.rename(temporary, path)
    except OSError:
        pass


def main():
    token = cached()
    if token is None:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oidc_mock_token.py")
        token = subprocess.run([sys.executable, script] + sys.argv[1:], check=True, capture_output=True, text=True).stdout.strip()
        keep(token)
    status = {"token": token}
    exp = expiry(token)
    if exp:
        status["expirationTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))
    print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": status}))


if __name__ == "__main__":
    main()
