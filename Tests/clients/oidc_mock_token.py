#!/usr/bin/env python3
"""Gets an ID token from oidc-provider-mock without a browser, and prints it.

  oidc_mock_token.py --issuer http://127.0.0.1:P --sub agent-7 [--client-id kube]

Two requests, as the provider's docs describe: POST /oauth2/authorize with the form field `sub`
(answered by a redirect carrying `code`), then POST /oauth2/token exchanging the code.
"""
import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

REDIRECT_URI = "http://127.0.0.1/callback"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--sub", required=True)
    parser.add_argument("--client-id", default="kube")
    args = parser.parse_args()
    query = urllib.parse.urlencode({"client_id": args.client_id, "response_type": "code", "scope": "openid email",
                                    "redirect_uri": REDIRECT_URI, "state": "s", "nonce": "n"})
    opener = urllib.request.build_opener(NoRedirect)
    form = urllib.parse.urlencode({"sub": args.sub}).encode()
    try:
        opener.open(args.issuer + "/oauth2/authorize?" + query, data=form, timeout=10)
        sys.exit("authorize did not redirect")
    except urllib.error.HTTPError as redirect:
        if redirect.code not in (301, 302, 303):
            sys.exit("authorize answered %d: %s" % (redirect.code, redirect.read()[:300]))
        location = redirect.headers["Location"]
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
    form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                                   "client_id": args.client_id, "client_secret": "unused-secret"}).encode()
    with urllib.request.urlopen(args.issuer + "/oauth2/token", data=form, timeout=10) as response:
        print(json.load(response)["id_token"])


if __name__ == "__main__":
    main()
