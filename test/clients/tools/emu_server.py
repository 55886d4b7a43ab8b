# Throwaway ClickHouse-HTTP capture/emulation server used to observe the three probes (not a test).
# Logs each request (method, path, params, headers, body) as JSON lines to LOGFILE and answers canned
# but correctly encoded data: TabSeparated / Native (honours client_protocol_version: block info,
# per-column has_custom byte when >= 54454) / RowBinaryWithNamesAndTypes / JSON; compress=1 -> ClickHouse
# LZ4 block framing with CityHash128; enable_http_compression=1 + Accept-Encoding gzip -> gzip.
# Deps (own venv): pip install lz4 clickhouse-cityhash.   Run: python emu_server.py PORT LOGFILE
# Env: OMIT_HEADERS=a,b  SETTINGS_READONLY=1  FAIL_SETTINGS=1  IGNORE_COMPRESS=1
import sys, json, http.server, socketserver, gzip, urllib.parse, struct, re, os, uuid
import lz4.block
from clickhouse_cityhash.cityhash import CityHash128
LOG = sys.argv[2]
OMIT = set(filter(None, os.environ.get("OMIT_HEADERS", "").split(",")))
RO = os.environ.get("SETTINGS_READONLY", "0")
def uv(n):
    b = bytearray()
    while True:
        x = n & 0x7f; n >>= 7
        if n: b.append(x | 0x80)
        else: b.append(x); return bytes(b)
def s(v): v = v.encode(); return uv(len(v)) + v
def enc(t, v):  # RowBinary single value
    if t.startswith("Nullable("):
        return b"\x01" if v is None else b"\x00" + enc(t[9:-1], v)
    if t == "String": return s(v)
    if t in ("UInt8", "Bool"): return struct.pack("<B", int(v))
    if t == "UInt32": return struct.pack("<I", v)
    if t == "Int32": return struct.pack("<i", v)
    if t in ("Int64",) or t.startswith("DateTime64"): return struct.pack("<q", v)
    raise ValueError(t)
def default(t):
    return "" if t == "String" else 0
def native_col(t, vals):
    if t.startswith("Nullable("):
        inner = t[9:-1]
        return bytes(1 if v is None else 0 for v in vals) + native_col(inner, [default(inner) if v is None else v for v in vals])
    return b"".join(enc(t, v) for v in vals)
def tsv(t, v):
    if v is None: return "\\N"
    if t.startswith("DateTime64"): return "2024-01-02 03:04:05.123"
    if t == "Bool": return "true" if v else "false"
    return str(v)
DT = 1704164645123  # 2024-01-02T03:04:05.123Z in ms
DEMO = ([("i","Int32"),("s","String"),("n","Nullable(String)"),("b","Bool"),("ts","DateTime64(3, 'UTC')"),("big","Int64")],
        [[1,"x",None,True,DT,-5],[2,"y","z",False,DT,9007199254740993]])
SETTINGS = [[n, v, int(RO)] for n, v in [("enable_http_compression","0"),("send_progress_in_http_headers","0"),
    ("http_headers_progress_interval_ms","100"),("cancel_http_readonly_queries_on_client_close","0"),
    ("date_time_input_format","basic"),("cast_string_to_dynamic_use_inference","0"),("readonly","0"),("max_result_rows","0")]]
def answer(sql):
    q = " ".join(sql.split()).lower()
    if "system.settings" in q: return [("name","String"),("value","String"),("readonly","UInt8")], SETTINGS
    if "displayname(), version(), revision(), timezone()" in q:
        return [("displayName()","String"),("version()","String"),("revision()","UInt32"),("timezone()","String")], [["capture","25.8.1.1",54479,"UTC"]]
    if "currentuser() as user" in q: return [("user","String"),("timezone","String"),("version","String")], [["alice","UTC","25.8.1.1"]]
    if "version() as server_version" in q: return [("server_version","String")], [["25.8.1.1"]]
    if q.startswith("select version(), timezone()"): return [("version()","String"),("timezone()","String")], [["25.8.1.1","UTC"]]
    if q.startswith("select 1 as check"): return [("check","UInt8")], [[1]]
    if q.strip() == "select 1": return [("1","UInt8")], [[1]]
    return DEMO
def render(fmt, cols, rows, rev):
    if fmt == "Native":
        out = b""
        if rev > 0: out += b"\x01\x00\x02\xff\xff\xff\xff\x00"
        out += uv(len(cols)) + uv(len(rows))
        for i, (n, t) in enumerate(cols):
            out += s(n) + s(t) + (b"\x00" if rev >= 54454 else b"") + native_col(t, [r[i] for r in rows])
        return out, "application/octet-stream"
    if fmt == "RowBinaryWithNamesAndTypes":
        out = uv(len(cols)) + b"".join(s(n) for n, _ in cols) + b"".join(s(t) for _, t in cols)
        for r in rows: out += b"".join(enc(t, v) for (_, t), v in zip(cols, r))
        return out, "application/octet-stream"
    if fmt == "JSON":
        return json.dumps({"meta":[{"name":n,"type":t} for n,t in cols],"data":[dict(zip([c[0] for c in cols], r)) for r in rows],"rows":len(rows)}).encode(), "application/json; charset=UTF-8"
    return "".join("\t".join(tsv(t, v) for (_, t), v in zip(cols, r)) + "\n" for r in rows).encode(), "text/tab-separated-values; charset=UTF-8"
def lz4frame(data):
    c = lz4.block.compress(data, store_size=False)
    hdr = b"\x82" + struct.pack("<II", len(c) + 9, len(data))
    h = CityHash128(hdr + c)
    return struct.pack("<QQ", h >> 64, h & (2**64-1)) + hdr + c
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                l = int(self.rfile.readline().strip(), 16)
                if l == 0: self.rfile.readline(); break
                body += self.rfile.read(l); self.rfile.readline()
        u = urllib.parse.urlsplit(self.path); p = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        rec = {"method": self.command, "path": self.path, "params": p, "headers": dict(self.headers.items()), "body": body.decode("utf-8", "backslashreplace")}
        with open(LOG, "a") as f: f.write(json.dumps(rec) + "\n")
        if u.path == "/ping":
            return self.reply(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
        sql = (p.get("query", "") + ("\n" if p.get("query") and body else "") + body.decode()).strip()
        m = re.search(r"\bFORMAT\s+(\w+)\s*;?\s*$", sql, re.I)
        fmt = m.group(1) if m else (p.get("default_format") or self.headers.get("X-ClickHouse-Format") or "TabSeparated")
        if m: sql = sql[:m.start()]
        if "boom" in sql or (os.environ.get("FAIL_SETTINGS") and "system.settings" in sql):
            msg = b"Code: 60. DB::Exception: Unknown table expression identifier 'boom' in scope SELECT * FROM boom. (UNKNOWN_TABLE) (version 25.8.1.1)\n"
            return self.reply(404, msg, {"Content-Type": "text/plain; charset=UTF-8", "X-ClickHouse-Exception-Code": "60", "X-ClickHouse-Server-Display-Name": "capture"})
        cols, rows = answer(sql)
        data, ctype = render(fmt, cols, rows, int(p.get("client_protocol_version", "0")))
        if p.get("compress") == "1" and not os.environ.get("IGNORE_COMPRESS"): data = lz4frame(data)
        h = {"Content-Type": ctype, "X-ClickHouse-Server-Display-Name": "capture", "X-ClickHouse-Query-Id": p.get("query_id") or str(uuid.uuid4()),
             "X-ClickHouse-Format": fmt, "X-ClickHouse-Timezone": "UTC",
             "X-ClickHouse-Summary": json.dumps({"read_rows":"0","read_bytes":"0","written_rows":"0","written_bytes":"0","total_rows_to_read":"0","result_rows":str(len(rows)),"result_bytes":str(len(data)),"elapsed_ns":"1000"})}
        ae = self.headers.get("Accept-Encoding", "")
        if p.get("enable_http_compression") == "1" and "gzip" in ae:
            data = gzip.compress(data); h["Content-Encoding"] = "gzip"
        self.reply(200, data, h)
    def reply(self, code, data, h):
        self.send_response(code)
        for k, v in h.items():
            if k not in OMIT: self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers(); self.wfile.write(data)
    do_GET = do_POST = handle_any
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer): daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
