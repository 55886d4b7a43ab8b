// Real-client probe: clickhouse-go/v2 over HTTP (native API, no database/sql).
//
// Usage: CH_HOST=.. CH_PORT=.. CH_USER=.. CH_PASSWORD=.. ./probe query '<sql>'
// Prints {"client":..., "columns":[{"name","type","client_type"}], "rows":[[...]]}
// or {"error": "...", "code": N|null} and exits 3.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

const isoLayout = "2006-01-02T15:04:05.999999999-07:00"

type column struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	ClientType string `json:"client_type"`
}

func env(k, d string) string {
	if v, ok := os.LookupEnv(k); ok {
		return v
	}
	return d
}

var codeRe = regexp.MustCompile(`Code: (\d+)`)

func fail(err error) {
	var code any
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		code = ex.Code
	} else if m := codeRe.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		code = n
	}
	out, _ := json.Marshal(map[string]any{"error": err.Error(), "code": code, "exception": fmt.Sprintf("%T", err)})
	fmt.Println(string(out))
	os.Exit(3)
}

func render(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return x.Format(isoLayout)
	case big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	case []byte:
		return string(x)
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return f
	case reflect.String:
		return v.String()
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = render(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		it := v.MapRange()
		for it.Next() {
			out[fmt.Sprint(render(it.Key()))] = render(it.Value())
		}
		return out
	case reflect.Struct:
		if s, ok := v.Addr().Interface().(fmt.Stringer); ok {
			return s.String()
		}
	}
	return fmt.Sprintf("%v", v.Interface())
}

func main() {
	if len(os.Args) < 3 || os.Args[1] != "query" {
		fmt.Println(`{"error":"usage: probe query <sql>","code":null}`)
		os.Exit(2)
	}
	sql := os.Args[2]
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol: clickhouse.HTTP,
		Addr:     []string{net.JoinHostPort(env("CH_HOST", "127.0.0.1"), env("CH_PORT", "8123"))},
		Auth: clickhouse.Auth{
			Username: env("CH_USER", "default"),
			Password: env("CH_PASSWORD", ""),
		},
	})
	if err != nil {
		fail(err)
	}
	defer conn.Close()
	ctx := context.Background()
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		fail(err)
	}
	defer rows.Close()
	cts := rows.ColumnTypes()
	cols := make([]column, len(cts))
	for i, ct := range cts {
		cols[i] = column{Name: ct.Name(), Type: ct.DatabaseTypeName(), ClientType: ct.ScanType().String()}
	}
	out := [][]any{}
	for rows.Next() {
		dest := make([]any, len(cts))
		for i, ct := range cts {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			fail(err)
		}
		row := make([]any, len(cts))
		for i := range dest {
			row[i] = render(reflect.ValueOf(dest[i]))
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		fail(err)
	}
	sv, _ := conn.ServerVersion()
	res := map[string]any{
		"client":  "clickhouse-go/v2 " + fmt.Sprintf("%d.%d.%d", clickhouse.ClientVersionMajor, clickhouse.ClientVersionMinor, clickhouse.ClientVersionPatch),
		"columns": cols,
		"rows":    out,
	}
	if sv != nil {
		res["server_version"] = sv.Version.String()
		res["server_display_name"] = sv.DisplayName
		if sv.Timezone != nil {
			res["server_tz"] = sv.Timezone.String()
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(b))
}
