package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTableKeepsOnlyFiguresEveryEngineHas(t *testing.T) {
	steps := []line{
		{"step": "lancedb-0.39", "ingest_s": 10.0, "index_resona_params_s": 90.0},
		{"step": "go", "ingest_s": 5.0, "ann": "unsupported"},
	}
	cats, ss := table(steps, []figure{
		{"ingest", "ingest_s", "ingest_s"},
		{"index", "index_resona_params_s", "index_resona_params_s"},
	})
	if len(cats) != 1 || cats[0] != "ingest" {
		t.Fatalf("categories = %v, want only ingest", cats)
	}
	if ss[0].values[0] != 10 || ss[1].values[0] != 5 {
		t.Fatalf("values = %v %v", ss[0].values, ss[1].values)
	}
}

func TestReadRunDefaultsToLastRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	data := `{"run":"a","step":"go","ingest_s":1}
{"run":"b","step":"go","ingest_s":2}
{"run":"b","step":"lancedb-0.39","ingest_s":4}
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, run, err := readRun(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if run != "b" || len(lines) != 2 {
		t.Fatalf("run %q with %d lines, want b with 2", run, len(lines))
	}
	var buf bytes.Buffer
	writeTable(&buf, lines)
	// Go took 2 s, LanceDB 4 s: ratio 0.50.
	if !strings.Contains(buf.String(), "| 4 | 2 | 0.50 |") {
		t.Fatalf("table has no 0.50 ratio row:\n%s", buf.String())
	}
	if _, _, err := readRun(path, "missing"); err == nil {
		t.Fatal("readRun of an unknown run succeeded")
	}
}

func TestServiceTableRatiosAfterOverFresh(t *testing.T) {
	l := line{"step": "service", "N": 1000.0, "store_batch": 100.0,
		"batched_before_query_p50_ms": 30.0, "batched_after_query_p50_ms": 4.0, "fresh_query_p50_ms": 2.0,
		"batched_after_fragments": 1.0, "fresh_fragments": 1.0, "batched_before_fragments": 10.0}
	var b strings.Builder
	writeServiceTable(&b, []line{l})
	out := b.String()
	for _, want := range []string{"N = 1000, StoreBatchSize 100", "| SearchVector p50 (ms) | 30 | 4 | 2 | 2.00 |", "| fragments | 10 | 1 | 1 | 1.00 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
