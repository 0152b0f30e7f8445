#!/usr/bin/python3
"""A kubectl exec credential plugin for the tests: gets an ID token from oidc-provider-mock (with
oidc_mock_token.py, next to this file) and prints it as an ExecCredential. Stdlib only, so Debian's
/usr/bin/python3 can run it as the agent's uid.

  kubectl_oidc_plugin.py --issuer http://127.0.0.1:P --sub agent-7 [--client-id portcullis]
"""
import json
import os
import subprocess
import sys


def main():
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oidc_mock_token.py")
    token = subprocess.run([sys.executable, script] + sys.argv[1:], check=True, capture_output=True, text=True).stdout.strip()
    print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"token": token}}))


if __name__ == "__main__":
    main()
