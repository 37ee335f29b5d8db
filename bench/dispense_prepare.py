#!/usr/bin/env python3
"""Prepares the dispensing benchmark (bench/dispense.lua) on a running demo server
(`sanyi serve --demo`): the procurement officer buys 2 x N units of amoxicillin for the village
doctor's clinic and the village doctor writes N prescriptions of 2 units. Writes the ids to IDS
and prints the doctor's token.

Usage: BASE=127.0.0.1:18083 N=8000 IDS=/tmp/rx-ids.txt python3 bench/dispense_prepare.py
"""
import datetime
import http.client
import json
import os
import time

base, n, ids_path = os.environ.get("BASE", "127.0.0.1:18083"), int(os.environ.get("N", "8000")), os.environ.get("IDS", "/tmp/rx-ids.txt")
conn = http.client.HTTPConnection(base)


def call(method, path, token=None, body=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = "Bearer " + token
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    r = conn.getresponse()
    data = json.loads(r.read() or b"null")
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {data}")
    return data


def token(user):
    return call("POST", "/api/v1/auth/token", body={"username": user, "password": "sanyi2026"})["access_token"]


officer, doctor = token("procurement"), token("village_doctor")
clinic = call("GET", "/api/v1/me", doctor)["institution_id"]
resident = call("GET", "/api/v1/residents?limit=1", doctor)["items"][0]["id"]
tag, units = str(int(time.time())), 2 * n
expiry = (datetime.date.today() + datetime.timedelta(days=700)).isoformat()
order = call("POST", "/api/v1/pharmacy/orders", officer,
             {"order_no": "WRK-" + tag, "supplier": "基准配送", "lines": [{"item_code": "XJ01CAA001", "quantity": units}]})
delivery = call("POST", f"/api/v1/pharmacy/orders/{order['id']}/deliveries", officer,
                {"delivery_no": "WRK-" + tag, "lines": [{"item_code": "XJ01CAA001", "lot_no": "W" + tag, "expires_on": expiry, "quantity": units}]})
call("POST", f"/api/v1/pharmacy/deliveries/{delivery['id']}/accept", officer, {})
call("POST", "/api/v1/pharmacy/transfers", officer,
     {"transfer_no": "WRK-" + tag, "to_institution_id": clinic, "item_code": "XJ01CAA001", "quantity": units})
with open(ids_path, "w") as f:
    for _ in range(n):
        rx = call("POST", "/api/v1/prescriptions", doctor,
                  {"resident_id": resident, "kind": "outpatient", "diagnosis": "J06.900", "days_supply": 3,
                   "lines": [{"item_code": "XJ01CAA001", "quantity": 2}]})
        f.write(rx["id"] + "\n")
print(doctor)
