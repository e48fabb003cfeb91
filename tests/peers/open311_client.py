#!/usr/bin/env python3
"""A GeoReport v2 (Open311) client written from the spec, with nothing but the standard
library: discover services, file a request (form-encoded, api_key), read it back by id and in
the list. Usage: open311_client.py BASE JURISDICTION API_KEY. Prints one JSON object; exits 1
with a message on any deviation from the spec's shapes."""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def fail(msg):
    print(f"open311_client: {msg}", file=sys.stderr)
    sys.exit(1)


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        if r.headers.get_content_type() != "application/json":
            fail(f"{url}: content type {r.headers.get_content_type()}")
        return json.load(r)


def main():
    base, jurisdiction, api_key = sys.argv[1:4]
    root = f"{base}/open311/v2"
    q = urllib.parse.urlencode({"jurisdiction_id": jurisdiction})
    services = get(f"{root}/services.json?{q}")
    if not isinstance(services, list) or not services:
        fail(f"services.json is not a non-empty list: {services!r}")
    for s in services:
        for k in ("service_code", "service_name", "metadata", "type"):
            if k not in s:
                fail(f"service without {k}: {s!r}")
    service = next((s for s in services if s["service_code"].endswith("street_light")), services[0])
    form = urllib.parse.urlencode({
        "jurisdiction_id": jurisdiction,
        "service_code": service["service_code"],
        "lat": "39.9042",
        "long": "116.4074",
        "address_string": "Gate 2, Lotus estate",
        "description": "路灯不亮 street light out since Monday",
        "api_key": api_key,
    }).encode()
    req = urllib.request.Request(f"{root}/requests.json", data=form, method="POST")
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            created = json.load(r)
    except urllib.error.HTTPError as e:
        fail(f"POST requests.json → {e.code}: {e.read().decode()}")
    if not isinstance(created, list) or "service_request_id" not in created[0]:
        fail(f"create answered {created!r}")
    rid = created[0]["service_request_id"]
    one = get(f"{root}/requests/{urllib.parse.quote(rid)}.json?{q}")
    if not isinstance(one, list) or one[0].get("service_request_id") != rid:
        fail(f"requests/{rid}.json answered {one!r}")
    listed = get(f"{root}/requests.json?{q}&status=open")
    if rid not in [r["service_request_id"] for r in listed]:
        fail(f"{rid} not among open requests")
    closed = get(f"{root}/requests.json?{q}&status=closed")
    if rid in [r["service_request_id"] for r in closed]:
        fail(f"{rid} listed as closed")
    # A bad key is refused with GeoReport's error shape.
    bad = urllib.request.Request(f"{root}/requests.json", data=form.replace(api_key.encode(), b"nope"), method="POST")
    bad.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        urllib.request.urlopen(bad, timeout=10)
        fail("a bad api_key was accepted")
    except urllib.error.HTTPError as e:
        err = json.loads(e.read())
        if e.code != 403 or not isinstance(err, list) or "description" not in err[0]:
            fail(f"bad api_key answered {e.code} {err!r}")
    print(json.dumps({"id": rid, "request": one[0], "services": len(services)}))


main()
