// Command resona-bench runs the Resona workload on the Go Lance engine, the
// same phases bench/lancedb/bench.mjs runs on LanceDB over the same benchgen
// files, and prints one JSON line of figures. Every time is measured inside
// the process (wall clock around the engine calls).
//
//	resona-bench -dir OUT/embeddings.lance -data DATADIR -n 150000 -d 1024 -batch 100 -incr 15000
//	resona-bench -open DBDIR/embeddings.lance -data DATADIR -n ROWS -d 1024
//	resona-bench -maintain DBDIR/embeddings.lance
//	resona-bench -service DIR -data DATADIR -n 150000 -d 1024 -batch 100
//
// The first form ingests, scans, searches, maintains, tries the IVF_PQ index
// and adds 10% more rows. The second only reads an existing table (written by
// either engine): full scan and exact search, with recall against brute
// force when the table holds exactly the first -n vectors. The third only
// compacts and cleans up a table; the first form runs its maintenance that
// way in a child process unless -maint-proc=false. The fourth drives the
// root package resona (EmbedBatch, Maintain, SearchVector) with a provider
// returning the benchgen vectors, and compares the maintained table with
// one written in a single call and maintained the same way.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

type config struct {
	dir, open, data, label string
	maintain, service      string
	n, d, batch, incr      int
	skipANN, maintProc     bool
}

func main() {
	var c config
	flag.StringVar(&c.dir, "dir", "", "table directory to create (removed first)")
	flag.StringVar(&c.open, "open", "", "only read this existing table: full scan and exact search")
	flag.StringVar(&c.data, "data", "bench-data", "benchgen output directory (vectors.f32, queries.f32)")
	flag.StringVar(&c.label, "label", "", "name of the table in the output (-open mode)")
	flag.IntVar(&c.n, "n", 150000, "rows to ingest (-open: rows the table holds, for recall; 0 skips recall)")
	flag.IntVar(&c.d, "d", 1024, "vector dimension")
	flag.IntVar(&c.batch, "batch", 100, "rows per commit")
	flag.IntVar(&c.incr, "incr", -1, "rows appended for the incremental phase (-1: n/10; 0: skip)")
	flag.BoolVar(&c.skipANN, "skip-ann", false, "skip the IVF_PQ phases")
	flag.BoolVar(&c.maintProc, "maint-proc", true, "run maintenance in a child process (its own peak RSS)")
	flag.StringVar(&c.maintain, "maintain", "", "only compact and clean up this existing table")
	flag.StringVar(&c.service, "service", "", "service-level run through package resona in this directory (removed first)")
	flag.Parse()
	if c.incr < 0 {
		c.incr = c.n / 10
	}
	out, err := run(context.Background(), c)
	if out != nil {
		line, jerr := json.Marshal(out)
		if jerr == nil {
			fmt.Println(string(line))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "resona-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) (figures, error) {
	out := figures{
		"engine":     "resona-go",
		"go":         runtime.Version(),
		"gomaxprocs": runtime.GOMAXPROCS(0),
		"D":          c.d,
		"timing":     "in-process",
	}
	if c.maintain != "" {
		return out, maintainOnly(ctx, c.maintain, out)
	}
	if c.d <= 0 || c.batch <= 0 || c.n < 0 {
		return out, fmt.Errorf("need positive -d and -batch and non-negative -n")
	}
	if c.service != "" {
		return out, serviceRun(ctx, c, out)
	}
	nq, err := queryCount(filepath.Join(c.data, "queries.f32"), c.d)
	if err != nil {
		return out, err
	}
	nq = min(nq, 100)
	queries, err := readF32(filepath.Join(c.data, "queries.f32"), nq, c.d)
	if err != nil {
		return out, err
	}
	out["queries"] = nq
	if c.open != "" {
		return out, openOnly(ctx, c, out, queries, nq)
	}
	if c.dir == "" {
		return out, fmt.Errorf("give -dir (full run) or -open (read only)")
	}
	vecs, unmap, err := loadVectors(filepath.Join(c.data, "vectors.f32"), c.n+c.incr, c.d)
	if err != nil {
		return out, err
	}
	defer unmap()
	b := &bench{c: c, out: out, vecs: vecs, queries: queries, nq: nq, schema: resonaSchema(c.d)}
	return out, b.full(ctx)
}
