// Real-client probe: official ClickHouse JDBC driver (com.clickhouse:clickhouse-jdbc, jdbc-v2).
//
// Usage: CH_HOST=.. CH_PORT=.. CH_USER=.. CH_PASSWORD=.. \
//   java -cp 'target/deps/*' Probe.java query '<sql>'
// Prints {"client":..., "columns":[{"name","type","client_type","java_class"}], "rows":[[...]]}
// or {"error": "...", "code": N|null} and exits 3.

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.*;
import java.time.*;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Probe {
    static final DateTimeFormatter ISO = new DateTimeFormatterBuilder()
            .appendPattern("uuuu-MM-dd'T'HH:mm:ss")
            .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
            .appendPattern("xxx")
            .toFormatter();

    static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null ? d : v;
    }

    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String json(Object v) throws SQLException {
        if (v == null) return "null";
        if (v instanceof Boolean) return v.toString();
        if (v instanceof Byte || v instanceof Short || v instanceof Integer || v instanceof Long
                || v instanceof java.math.BigInteger) return v.toString();
        if (v instanceof Float || v instanceof Double) {
            double d = ((Number) v).doubleValue();
            return (Double.isNaN(d) || Double.isInfinite(d)) ? q(v.toString()) : v.toString();
        }
        if (v instanceof java.math.BigDecimal) return q(((java.math.BigDecimal) v).toPlainString());
        if (v instanceof OffsetDateTime) return q(ISO.format((OffsetDateTime) v));
        if (v instanceof ZonedDateTime) return q(ISO.format((ZonedDateTime) v));
        if (v instanceof Instant) return q(ISO.format(((Instant) v).atOffset(ZoneOffset.UTC)));
        if (v instanceof Timestamp) return q(v.toString()); // no zone: printed as-is (JVM-local)
        if (v instanceof Array) return json(((Array) v).getArray());
        if (v instanceof Object[]) {
            StringJoiner j = new StringJoiner(",", "[", "]");
            for (Object o : (Object[]) v) j.add(json(o));
            return j.toString();
        }
        if (v.getClass().isArray()) {
            StringJoiner j = new StringJoiner(",", "[", "]");
            int n = java.lang.reflect.Array.getLength(v);
            for (int i = 0; i < n; i++) j.add(json(java.lang.reflect.Array.get(v, i)));
            return j.toString();
        }
        if (v instanceof List) return json(((List<?>) v).toArray());
        if (v instanceof Map) {
            StringJoiner j = new StringJoiner(",", "{", "}");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) j.add(q(String.valueOf(e.getKey())) + ":" + json(e.getValue()));
            return j.toString();
        }
        return q(v.toString());
    }

    static void fail(Throwable t) {
        Integer code = null;
        Throwable c = t;
        while (c != null) {
            if (c instanceof SQLException && ((SQLException) c).getErrorCode() != 0) {
                code = ((SQLException) c).getErrorCode();
                break;
            }
            c = c.getCause();
        }
        String msg = String.valueOf(t.getMessage());
        if (code == null) {
            Matcher m = Pattern.compile("Code: (\\d+)").matcher(msg);
            if (m.find()) code = Integer.parseInt(m.group(1));
        }
        System.out.println("{\"error\":" + q(msg) + ",\"code\":" + code + ",\"exception\":" + q(t.getClass().getName()) + "}");
        System.out.flush();
        System.exit(3);
    }

    public static void main(String[] args) {
        if (args.length < 2 || !"query".equals(args[0])) {
            System.out.println("{\"error\":\"usage: Probe query <sql>\",\"code\":null}");
            System.exit(2);
        }
        String url = "jdbc:clickhouse://" + env("CH_HOST", "127.0.0.1") + ":" + env("CH_PORT", "8123")
                + "/" + env("CH_DATABASE", "ine_audit")
                + "?user=" + URLEncoder.encode(env("CH_USER", "default"), StandardCharsets.UTF_8)
                // the driver rejects an empty "password=" pair, so leave it out when there is none
                + (env("CH_PASSWORD", "").isEmpty() ? "" : "&password=" + URLEncoder.encode(env("CH_PASSWORD", ""), StandardCharsets.UTF_8))
                // optional extra driver/client properties, e.g. CH_JDBC_PARAMS='compress=false'
                + (env("CH_JDBC_PARAMS", "").isEmpty() ? "" : "&" + env("CH_JDBC_PARAMS", ""));
        Properties info = new Properties();
        if (env("CH_PASSWORD", "").isEmpty()) info.setProperty("password", ""); // else the driver sends "user:null"
        try (Connection conn = DriverManager.getConnection(url, info);
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery(args[1])) {
            ResultSetMetaData md = rs.getMetaData();
            int n = md.getColumnCount();
            StringJoiner cols = new StringJoiner(",", "[", "]");
            for (int i = 1; i <= n; i++) {
                cols.add("{\"name\":" + q(md.getColumnLabel(i)) + ",\"type\":" + q(md.getColumnTypeName(i))
                        + ",\"client_type\":" + q(JDBCType.valueOf(md.getColumnType(i)).getName())
                        + ",\"java_class\":" + q(md.getColumnClassName(i)) + "}");
            }
            StringJoiner rows = new StringJoiner(",", "[", "]");
            List<Set<String>> seen = new ArrayList<>();
            for (int i = 0; i < n; i++) seen.add(new TreeSet<>());
            while (rs.next()) {
                StringJoiner row = new StringJoiner(",", "[", "]");
                for (int i = 1; i <= n; i++) {
                    Object v = rs.getObject(i);
                    if (v != null) seen.get(i - 1).add(v.getClass().getName());
                    int t = md.getColumnType(i);
                    if (v != null && (t == Types.TIMESTAMP || t == Types.TIMESTAMP_WITH_TIMEZONE)) {
                        // getObject() gives a zone-less java.sql.Timestamp; ask for the zoned value so the
                        // offset the driver applied (server/column timezone) is visible.
                        row.add(json(rs.getObject(i, ZonedDateTime.class)));
                    } else {
                        row.add(json(v));
                    }
                }
                rows.add(row.toString());
            }
            StringJoiner vcls = new StringJoiner(",", "[", "]");
            for (Set<String> s : seen) vcls.add(q(String.join("|", s)));
            DatabaseMetaData dm = conn.getMetaData();
            System.out.println("{\"client\":" + q(dm.getDriverName() + " " + dm.getDriverVersion())
                    + ",\"server_version\":" + q(dm.getDatabaseProductVersion())
                    + ",\"columns\":" + cols + ",\"value_classes\":" + vcls + ",\"rows\":" + rows + "}");
        } catch (Throwable t) {
            fail(t);
        }
    }
}
