#!/usr/bin/env python3
"""Real-client probe: clickhouse-connect over HTTP.

Usage: CH_HOST=.. CH_PORT=.. CH_USER=.. CH_PASSWORD=.. probe.py query '<sql>'
Prints {"client":..., "columns":[{"name","type","client_type"}], "rows":[[...]]}
or {"error": "...", "code": N|null} and exits 3.
"""
import base64
import datetime
import decimal
import ipaddress
import json
import os
import re
import sys
import uuid


def render(v):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else str(v)
    if isinstance(v, datetime.datetime):
        return v.isoformat()  # "+00:00" suffix only when tz-aware; naive by default (tz_mode naive_utc)
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (uuid.UUID, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, dict):
        return {str(k): render(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [render(x) for x in v]
    return repr(v)


def type_name(v):
    if isinstance(v, datetime.datetime):
        return "datetime[tz=%s]" % v.tzinfo if v.tzinfo else "datetime[naive]"
    return type(v).__name__


def py_type_name(values):
    names = sorted({type_name(v) for v in values if v is not None})
    return "|".join(names) if names else "NoneType"


def fail(ex):
    code = getattr(ex, "code", None)
    msg = str(ex)
    if not isinstance(code, int):
        m = re.search(r"Code: (\d+)", msg)
        code = int(m.group(1)) if m else None
    print(json.dumps({"error": msg, "code": code, "exception": type(ex).__name__}))
    sys.exit(3)


def main():
    if len(sys.argv) < 3 or sys.argv[1] != "query":
        print(json.dumps({"error": "usage: probe.py query <sql>", "code": None}))
        sys.exit(2)
    sql = sys.argv[2]
    try:
        import clickhouse_connect

        client = clickhouse_connect.get_client(
            host=os.environ.get("CH_HOST", "127.0.0.1"),
            port=int(os.environ.get("CH_PORT", "8123")),
            username=os.environ.get("CH_USER", "default"),
            password=os.environ.get("CH_PASSWORD", ""),
            interface="http",
            # default tz_mode is "naive_utc" (naive datetimes that are UTC); PROBE_TZ_MODE=aware|schema overrides
            **({"tz_mode": os.environ["PROBE_TZ_MODE"]} if os.environ.get("PROBE_TZ_MODE") else {}),
        )
        res = client.query(sql)
        rows = [list(r) for r in res.result_rows]
        cols = []
        for i, (name, ch_type) in enumerate(zip(res.column_names, res.column_types)):
            cols.append({
                "name": name,
                "type": ch_type.name,
                "client_type": py_type_name(r[i] for r in rows),
            })
        out = {
            "client": "clickhouse-connect " + clickhouse_connect.__version__,
            "server_version": client.server_version,
            "server_tz": str(client.server_tz),
            "columns": cols,
            "rows": [[render(v) for v in r] for r in rows],
        }
        print(json.dumps(out))
    except Exception as ex:  # noqa: BLE001
        fail(ex)


if __name__ == "__main__":
    main()
