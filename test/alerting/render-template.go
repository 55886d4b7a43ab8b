// Renders a Grafana notification template the way Grafana's Alertmanager does: Go text/template over
// Grafana's template data (github.com/grafana/alerting templates.ExtendedData, the fields and methods
// the INE audit templates use). Reads {"text", "name", "data"} as JSON on stdin, prints the output.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/template"
)

type KV map[string]string

type Pair struct{ Name, Value string }

func (kv KV) SortedPairs() []Pair {
	names := make([]string, 0, len(kv))
	for n := range kv {
		names = append(names, n)
	}
	sort.Strings(names)
	pairs := make([]Pair, 0, len(names))
	for _, n := range names {
		pairs = append(pairs, Pair{n, kv[n]})
	}
	return pairs
}

func (kv KV) Names() []string {
	pairs := kv.SortedPairs()
	names := make([]string, len(pairs))
	for i, p := range pairs {
		names[i] = p.Name
	}
	return names
}

type ExtendedAlert struct {
	Status       string             `json:"status"`
	Labels       KV                 `json:"labels"`
	Annotations  KV                 `json:"annotations"`
	GeneratorURL string             `json:"generatorURL"`
	Fingerprint  string             `json:"fingerprint"`
	SilenceURL   string             `json:"silenceURL"`
	DashboardURL string             `json:"dashboardURL"`
	PanelURL     string             `json:"panelURL"`
	Values       map[string]float64 `json:"values"`
	ValueString  string             `json:"valueString"`
}

type ExtendedAlerts []ExtendedAlert

func (as ExtendedAlerts) Firing() []ExtendedAlert   { return as.with("firing") }
func (as ExtendedAlerts) Resolved() []ExtendedAlert { return as.with("resolved") }
func (as ExtendedAlerts) with(status string) []ExtendedAlert {
	out := []ExtendedAlert{}
	for _, a := range as {
		if a.Status == status {
			out = append(out, a)
		}
	}
	return out
}

type ExtendedData struct {
	Receiver          string         `json:"receiver"`
	Status            string         `json:"status"`
	Alerts            ExtendedAlerts `json:"alerts"`
	GroupLabels       KV             `json:"groupLabels"`
	CommonLabels      KV             `json:"commonLabels"`
	CommonAnnotations KV             `json:"commonAnnotations"`
	ExternalURL       string         `json:"externalURL"`
}

// The Alertmanager functions Grafana adds to text/template's own.
var funcs = template.FuncMap{
	"toUpper":   strings.ToUpper,
	"toLower":   strings.ToLower,
	"title":     strings.Title, //nolint:staticcheck // Alertmanager's own choice
	"trimSpace": strings.TrimSpace,
	"join":      func(sep string, s []string) string { return strings.Join(s, sep) },
}

func main() {
	var in struct {
		Text string       `json:"text"`
		Name string       `json:"name"`
		Data ExtendedData `json:"data"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("input", err)
	}
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(in.Text)
	if err != nil {
		fail("parse", err)
	}
	if err := tmpl.ExecuteTemplate(os.Stdout, in.Name, in.Data); err != nil {
		fail("execute", err)
	}
}

func fail(stage string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", stage, err)
	os.Exit(1)
}
