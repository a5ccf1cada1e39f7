package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// env is a test environment: private home, config and data folders, so
// that no user setting leaks in.
type env struct {
	t    *testing.T
	vars map[string]string
	db   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	home := t.TempDir()
	return &env{t: t, vars: map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, "config"),
		"XDG_DATA_HOME":   filepath.Join(home, "data"),
	}, db: filepath.Join(home, "kb.lance")}
}

type result struct {
	stdout, stderr string
	code           int
}

func (e *env) run(stdin string, args ...string) result {
	e.t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return e.vars[k] })
	return result{out.String(), errb.String(), code}
}

// db runs a command against the environment's table.
func (e *env) dbRun(stdin string, args ...string) result {
	e.t.Helper()
	return e.run(stdin, append([]string{"--db", e.db}, args...)...)
}

func (r result) mustOK(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	return r
}

// oneErrorLine checks that a failure printed exactly one line on stderr.
func (r result) oneErrorLine(t *testing.T, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "resona: ") {
		t.Errorf("error line %q does not start with \"resona: \"", last)
	}
	for _, l := range lines[:len(lines)-1] {
		if strings.HasPrefix(l, "resona: ") {
			t.Errorf("more than one error line:\n%s", r.stderr)
		}
	}
	for _, w := range wants {
		if !strings.Contains(last, w) {
			t.Errorf("error line %q does not mention %q", last, w)
		}
	}
}

// corpus is a small set of notes on distinct topics.
var corpus = []struct{ id, text string }{
	{"gzip", "Package gzip reads and writes compressed files in the gzip format: compress and decompress data streams."},
	{"flag", "Package flag parses command-line flags and options given to a program."},
	{"http", "Package http sends HTTP requests to servers and reads the responses, and runs web servers."},
	{"json", "Package json encodes and decodes JSON documents to and from Go values."},
	{"sort", "Package sort orders slices and user-defined collections, ascending or descending."},
	{"time", "Package time measures and displays time: clocks, durations, time zones and calendars."},
	{"sql", "Package sql talks to SQL databases: queries, transactions and prepared statements."},
	{"tar", "Package tar reads and writes tape archives, a format bundling files into one stream."},
	{"regexp", "Package regexp matches text against regular expressions and finds submatches."},
	{"crypto", "Package sha256 computes SHA-256 hashes of data for checksums and signatures."},
	{"long", strings.Repeat("A long note about gardening, tomatoes and the watering of plants in summer. ", 500)},
}

func jsonl(t *testing.T, extra ...string) string {
	t.Helper()
	var b strings.Builder
	for _, c := range corpus {
		line, err := json.Marshal(map[string]any{"id": c.id, "text": c.text, "metadata": map[string]any{"topic": c.id}})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func TestUsageErrors(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"bogus"},
		{"--nope"},
		{"embed", "bogus"},
		{"embed"},
		{"embed", "search"},
		{"embed", "search", "-k", "0", "query"},
		{"embed", "generate"},
		{"embed", "generate", "a.jsonl", "b.jsonl"},
		{"embed", "generate", "a.jsonl", "--dir", "x"},
		{"embed", "maintain", "--retention-days", "soon"},
		{"embed", "maintain", "extra"},
		{"embed", "maintain", "--stale-threshold", "0"},
		{"embed", "maintain", "--retention-days", "-1"},
		{"embed", "maintain", "--reindex", "--skip-index"},
		{"embed", "stats", "--bogus"},
		{"embed", "export", "--version", "0"},
		{"version", "1"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			r := e.dbRun("", args...)
			r.oneErrorLine(t, ExitUsage, "--help")
			if r.stdout != "" {
				t.Errorf("usage error printed on stdout: %q", r.stdout)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := newEnv(t).run("", "version").mustOK(t)
	if !strings.HasPrefix(r.stdout, "resona ") {
		t.Errorf("version output %q", r.stdout)
	}
	var v versionInfo
	r = newEnv(t).run("", "version", "--json").mustOK(t)
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Go == "" {
		t.Errorf("version --json: %v: %q", err, r.stdout)
	}
}

func TestCompletion(t *testing.T) {
	r := newEnv(t).run("", "completion", "bash").mustOK(t)
	if !strings.Contains(r.stdout, "__start_resona") {
		t.Errorf("bash completion script missing its entry point:\n%.300s", r.stdout)
	}
}

func TestGenerateSearchExport(t *testing.T) {
	e := newEnv(t)
	r := e.dbRun(jsonl(t), "embed", "generate", "-", "--json").mustOK(t)
	var sum generateSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, r.stdout)
	}
	if sum.Items != len(corpus) || sum.Embedded != len(corpus) || sum.Skipped != 0 || sum.Errors != 0 || sum.Provider != "local" {
		t.Errorf("first run summary %+v", sum)
	}
	if sum.Stored <= len(corpus) {
		t.Errorf("stored %d rows; the long note should have been chunked", sum.Stored)
	}

	// Unchanged texts are skipped; text output names the counts.
	r = e.dbRun(jsonl(t), "embed", "generate", "-").mustOK(t)
	if want := fmt.Sprintf("Embedded 0, skipped %d unchanged, 0 errors", len(corpus)); !strings.Contains(r.stdout, want) {
		t.Errorf("second run: %q does not contain %q", r.stdout, want)
	}

	for query, want := range map[string]string{
		"compress data with gzip":  "gzip",
		"parse command-line flags": "flag",
		"watering tomatoes":        "long",
	} {
		r = e.dbRun("", "embed", "search", "--json", "-k", "3", query).mustOK(t)
		var hits []searchHit
		if err := json.Unmarshal([]byte(r.stdout), &hits); err != nil {
			t.Fatalf("search %q: %v\n%s", query, err, r.stdout)
		}
		if len(hits) != 3 || hits[0].ID != want {
			t.Errorf("search %q: got %+v, want %q first", query, hits, want)
		}
		if hits[0].Similarity < hits[len(hits)-1].Similarity {
			t.Errorf("search %q: results not ranked: %+v", query, hits)
		}
		if hits[0].Metadata["topic"] != want {
			t.Errorf("search %q: metadata %v", query, hits[0].Metadata)
		}
	}
	r = e.dbRun("", "embed", "search", "gzip compression").mustOK(t)
	if !strings.Contains(r.stdout, scoreHeader) || !strings.Contains(r.stdout, "gzip") {
		t.Errorf("search table:\n%s", r.stdout)
	}

	r = e.dbRun("", "embed", "export").mustOK(t)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != sum.Stored {
		t.Fatalf("export: %d lines, want %d", len(lines), sum.Stored)
	}
	ids := map[string]bool{}
	for _, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil {
			t.Fatalf("export line %q: %v", l, err)
		}
		if _, ok := row["vector"]; ok {
			t.Fatalf("export without --with-vectors printed vectors")
		}
		ids[row["id"].(string)] = true
		if row["model"] != "resona-local-hash-v1" {
			t.Errorf("row model %v", row["model"])
		}
	}
	if !ids["gzip"] || !ids["long#0"] || !ids["long#1"] {
		t.Errorf("exported ids %v", ids)
	}
	r = e.dbRun("", "embed", "export", "--with-vectors", "--version", "1").mustOK(t)
	first := strings.SplitN(r.stdout, "\n", 2)[0]
	var row struct {
		Vector []float64 `json:"vector"`
	}
	if err := json.Unmarshal([]byte(first), &row); err != nil || len(row.Vector) != 512 {
		t.Errorf("export --with-vectors: %v, %d components", err, len(row.Vector))
	}
	e.dbRun("", "embed", "export", "--version", "99").oneErrorLine(t, ExitError, "version 99 is not on disk", "versions 1, ")
}

func TestGenerateMalformedInput(t *testing.T) {
	cases := []struct {
		name  string
		extra []string
		wants []string
	}{
		{"syntax", []string{`{"id": "x", "text": "fine"}`, `{"id": "y", "text": oops}`}, []string{"stdin:13:", "malformed JSON"}},
		{"missing id", []string{`{"text": "no id"}`}, []string{"stdin:12:", `missing "id"`}},
		{"empty text", []string{`{"id": "z", "text": "  "}`}, []string{"stdin:12:", `"text"`}},
		{"wrong type", []string{`{"id": 7, "text": "number id"}`}, []string{"stdin:12:", `"id" must be a string`}},
		{"duplicate", []string{`{"id": "gzip", "text": "again"}`}, []string{"stdin:12:", "line 1"}},
		{"two values", []string{`{"id": "a", "text": "b"} {"id": "c"}`}, []string{"stdin:12:", "one object per line"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.dbRun(jsonl(t, c.extra...), "embed", "generate", "-")
			r.oneErrorLine(t, ExitError, c.wants...)
			if _, err := os.Stat(e.db); err == nil {
				t.Errorf("a malformed input still created %s", e.db)
			}
		})
	}
	// The line number counts blank lines and names the file.
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "items.jsonl")
	if err := os.WriteFile(path, []byte("{\"id\":\"a\",\"text\":\"b\"}\n\n{bad\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.dbRun("", "embed", "generate", path).oneErrorLine(t, ExitError, "items.jsonl:3:")
}

func TestGenerateDir(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	files := map[string]string{
		"gardening/tomatoes.md": "# Tomatoes\n\nWater tomatoes in the morning; stake them when they grow tall.",
		"recipes/bread.txt":     "Knead the dough for bread ten minutes and let it rise for an hour.",
		".hidden/secret.md":     "never embedded",
		"image.png":             "\x89PNG not text",
		"empty.md":              "   \n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := e.dbRun("", "embed", "generate", "--dir", dir, "--json").mustOK(t)
	var sum generateSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Embedded != 2 {
		t.Errorf("embedded %d files, want 2: %+v\nstderr: %s", sum.Embedded, sum, r.stderr)
	}
	if !strings.Contains(r.stderr, "empty.md: skipped") {
		t.Errorf("no warning about the empty file: %q", r.stderr)
	}
	r = e.dbRun("", "embed", "search", "--json", "-k", "1", "when to water tomato plants").mustOK(t)
	if !strings.Contains(r.stdout, `"id": "gardening/tomatoes.md"`) {
		t.Errorf("dir search:\n%s", r.stdout)
	}
}

func TestUnreachableOllama(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newEnv(t)
	r := e.dbRun(jsonl(t), "embed", "generate", "-", "--provider", "ollama", "--model", "nomic-embed-text", "--endpoint", "http://"+addr)
	r.oneErrorLine(t, ExitError, "unavailable", "ollama serve", "--provider local")
	if _, err := os.Stat(e.db); err == nil {
		t.Errorf("an unreachable provider still created %s", e.db)
	}
}

func TestMissingTable(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"embed", "stats"},
		{"embed", "search", "anything"},
		{"embed", "maintain"},
		{"embed", "maintain", "--dry-run"},
		{"embed", "export"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			e.dbRun("", args...).oneErrorLine(t, ExitError, "no embeddings table", "resona embed generate")
		})
	}
	if _, err := os.Stat(e.db); err == nil {
		t.Errorf("commands on a missing table created %s", e.db)
	}
}

func TestWrongDimension(t *testing.T) {
	e := newEnv(t)
	e.dbRun(jsonl(t), "embed", "generate", "-").mustOK(t)
	e.dbRun(jsonl(t), "embed", "generate", "-", "--dimensions", "256").oneErrorLine(t, ExitError, "512", "256")
	e.dbRun("", "embed", "search", "--dimensions", "256", "gzip").oneErrorLine(t, ExitError, "512", "256")
}

func TestDBPathAndConfig(t *testing.T) {
	e := newEnv(t)
	// x.db maps to x.lance, through RESONA_DB.
	e.vars["RESONA_DB"] = filepath.Join(e.vars["HOME"], "notes.db")
	e.run(jsonl(t), "embed", "generate", "-").mustOK(t)
	if _, err := os.Stat(filepath.Join(e.vars["HOME"], "notes.lance", "embeddings.lance")); err != nil {
		t.Fatalf("RESONA_DB=notes.db: %v", err)
	}
	// The config file supplies the table and the provider settings.
	delete(e.vars, "RESONA_DB")
	cfgDir := filepath.Join(e.vars["XDG_CONFIG_HOME"], "resona")
	if err := os.MkdirAll(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `{"db": "~/notes.db", "provider": "local"}`
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.run("", "embed", "search", "--json", "-k", "1", "gzip").mustOK(t)
	if !strings.Contains(r.stdout, `"id": "gzip"`) {
		t.Errorf("search through config: %s", r.stdout)
	}
	// A typo in the config file is reported, with the file.
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(`{"database": "x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	e.run("", "embed", "stats").oneErrorLine(t, ExitError, "config.json", "database")
	// A named config file must exist.
	e.run("", "--config", filepath.Join(cfgDir, "missing.json"), "embed", "stats").oneErrorLine(t, ExitError, "missing.json")
}

func TestDebugLogs(t *testing.T) {
	e := newEnv(t)
	e.vars["RESONA_DEBUG"] = "1"
	r := e.dbRun(jsonl(t), "embed", "generate", "-").mustOK(t)
	if !strings.Contains(r.stderr, "level=DEBUG") {
		t.Errorf("RESONA_DEBUG=1 logged nothing:\n%s", r.stderr)
	}
	for _, c := range corpus[:3] {
		if strings.Contains(r.stderr, c.text) {
			t.Errorf("debug log contains a text")
		}
	}
}

func TestGenerateItemErrors(t *testing.T) {
	e := newEnv(t)
	r := e.dbRun(jsonl(t, `{"id": "bad#1", "text": "an id with a chunk suffix"}`), "embed", "generate", "-", "--json")
	r.oneErrorLine(t, ExitError, "1 item of 12 could not be embedded", "bad#1", "chunk suffix")
	var sum generateSummary
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, r.stdout)
	}
	if sum.Embedded != len(corpus) || sum.Errors != 1 || len(sum.Samples) != 1 || sum.Samples[0].ID != "bad#1" {
		t.Errorf("summary %+v", sum)
	}
	// The good items were stored.
	if st := e.statsJSON(); st.Rows != int64(len(corpus)+1) {
		t.Errorf("%d rows stored", st.Rows)
	}
}

func TestSearchUnreachableProvider(t *testing.T) {
	e := newEnv(t)
	e.dbRun(jsonl(t), "embed", "generate", "-").mustOK(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := e.dbRun("", "embed", "search", "gzip", "--provider", "ollama", "--model", "nomic-embed-text", "--dimensions", "512", "--endpoint", "http://"+addr)
	r.oneErrorLine(t, ExitError, "ollama serve", "--provider local")
	// A table built with another dimension says so.
	e.dbRun("", "embed", "search", "gzip", "--provider", "ollama", "--model", "nomic-embed-text", "--endpoint", "http://"+addr).
		oneErrorLine(t, ExitError, "768", "512")
}

func TestInterrupted(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := Run(ctx, []string{"--db", e.db, "embed", "generate", "-"}, strings.NewReader(jsonl(t)), &out, &errb, func(k string) string { return e.vars[k] })
	r := result{out.String(), errb.String(), code}
	r.oneErrorLine(t, ExitError, "interrupted", "run the command again")
}
