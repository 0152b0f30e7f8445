#!/usr/bin/env python3
"""Scrapes a Prometheus endpoint and parses it with the reference parser (prometheus_client), so
that text it cannot parse fails the test. Prints one JSON object:

  {"families": {NAME: TYPE, ...}, "samples": [{"name": ..., "labels": {...}, "value": ...}, ...]}

  prom_scrape.py URL
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main():
    url = sys.argv[1]
    with urllib.request.urlopen(url, timeout=10) as response:
        content_type = response.headers.get("Content-Type", "")
        text = response.read().decode("utf-8")
    families = {}
    samples = []
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples.append({"name": sample.name, "labels": dict(sample.labels), "value": sample.value})
    print(json.dumps({"contentType": content_type, "families": families, "samples": samples}))


if __name__ == "__main__":
    main()
