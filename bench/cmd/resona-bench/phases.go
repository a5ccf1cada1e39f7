package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance"
)

// figures is one JSON line of results; encoding/json sorts its keys.
type figures map[string]any

type bench struct {
	c       config
	out     figures
	vecs    []float32
	queries []float32
	nq      int
	schema  *arrow.Schema
	rss     rssTracker
}

func secs(d time.Duration) float64 { return round(d.Seconds(), 3) }

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// full runs every phase in the order bench.mjs runs them.
func (b *bench) full(ctx context.Context) error {
	c, out := b.c, b.out
	out["N"], out["batch"] = c.n, c.batch
	if err := os.RemoveAll(c.dir); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.dir), 0o755); err != nil {
		return err
	}

	// Ingest: one commit per batch, as Resona's buffered writer does.
	end := b.rss.phase(out, "ingest")
	t0 := time.Now()
	ds, err := b.ingest(ctx, nil, 0, c.n)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	el := time.Since(t0)
	out["ingest_s"] = secs(el)
	out["ingest_rows_per_s"] = math.Round(float64(c.n) / el.Seconds())
	end()
	out["version_after_ingest"] = ds.Version()
	out["fragments_before"] = len(ds.Fragments())
	out["bytes_before"] = duBytes(c.dir)

	t0 = time.Now()
	truth := groundTruth(b.vecs, b.queries, c.d, c.n, b.nq, 10)
	out["go_bruteforce_truth_s"] = secs(time.Since(t0))

	if err := b.scan(ctx, ds, "fragmented"); err != nil {
		return err
	}
	if err := b.search(ctx, ds, "fragmented_flat", exact, truth, b.nq); err != nil {
		return err
	}

	// Maintenance: optimize then cleanup of every older version, what
	// LanceDB's optimize({cleanupOlderThan: now}) does on an unindexed table.
	ds, err = b.maintain(ctx, ds, "")
	if err != nil {
		return err
	}
	out["fragments_after_compact"] = len(ds.Fragments())
	out["bytes_after_compact"] = duBytes(c.dir)
	if err := b.scan(ctx, ds, "compacted"); err != nil {
		return err
	}
	if err := b.search(ctx, ds, "compacted_flat", exact, truth, b.nq); err != nil {
		return err
	}

	if !c.skipANN {
		ds, err = b.ann(ctx, ds, truth)
		if err != nil {
			return err
		}
	}

	if c.incr > 0 {
		if err := b.incremental(ctx, ds); err != nil {
			return err
		}
	}
	out["max_rss_mb"] = b.rss.runMax()
	return nil
}

// ingest appends rows from..to in batches of c.batch, one commit each,
// creating the table when ds is nil.
func (b *bench) ingest(ctx context.Context, ds *lance.Dataset, from, to int) (*lance.Dataset, error) {
	for s := from; s < to; s += b.c.batch {
		rec := rowBatch(b.schema, b.vecs, b.c.d, s, min(b.c.batch, to-s))
		var next *lance.Dataset
		var err error
		if ds == nil {
			next, err = lance.Create(ctx, b.c.dir, b.schema, []arrow.RecordBatch{rec}, lance.CreateOptions{})
		} else {
			next, err = ds.Append(ctx, []arrow.RecordBatch{rec})
			ds.Close()
		}
		rec.Release()
		if err != nil {
			return nil, err
		}
		ds = next
	}
	return ds, nil
}

// scan reads every row and column; scan_gbps divides the bytes of the data
// files by the scan time, the measure scan.mjs uses.
func (b *bench) scan(ctx context.Context, ds *lance.Dataset, label string) error {
	fig, err := scanFigures(ctx, ds)
	if err != nil {
		return fmt.Errorf("%s scan: %w", label, err)
	}
	for k, v := range fig {
		b.out[label+"_"+k] = v
	}
	return nil
}

func scanFigures(ctx context.Context, ds *lance.Dataset) (figures, error) {
	dataBytes := duBytes(filepath.Join(ds.Path(), "data"))
	t0 := time.Now()
	var rows, batches int64
	for rec, err := range ds.Scan(ctx, lance.ScanOptions{}) {
		if err != nil {
			return nil, err
		}
		rows += rec.NumRows()
		batches++
		rec.Release()
	}
	el := time.Since(t0).Seconds()
	return figures{
		"scan_s":          round(el, 3),
		"scan_rows":       rows,
		"scan_batches":    batches,
		"scan_rows_per_s": math.Round(float64(rows) / el),
		"scan_gbps":       round(float64(dataBytes)/el/1e9, 3),
		"data_bytes":      dataBytes,
	}, nil
}

// searchMode says how a search phase queries: exactly (the vector index
// bypassed, as LanceDB's bypassVectorIndex), or through the IVF_PQ index
// with LanceDB's query defaults (nprobes 20, no refine) or with a refine
// factor.
type searchMode struct {
	exact           bool
	nprobes, refine int
}

var (
	exact    = searchMode{exact: true}
	annPlain = searchMode{nprobes: 20, refine: -1}
)

// search runs the first nq queries (K=10, cosine, projection "id") and
// records p50/p99 latency and recall@10 against truth (nil: no recall).
func (b *bench) search(ctx context.Context, ds *lance.Dataset, label string, mode searchMode, truth [][]string, nq int) error {
	fig, err := searchFigures(ctx, ds, b.queries, b.c.d, nq, mode, truth)
	if err != nil {
		return fmt.Errorf("%s search: %w", label, err)
	}
	for k, v := range fig {
		b.out[label+"_"+k] = v
	}
	if nq != b.nq {
		b.out[label+"_queries"] = nq
	}
	return nil
}

type stringValues interface{ Value(int) string }

func searchFigures(ctx context.Context, ds *lance.Dataset, queries []float32, dim, nq int, mode searchMode, truth [][]string) (figures, error) {
	lat := make([]float64, 0, nq)
	hits := 0
	for qi := range nq {
		q := queries[qi*dim : (qi+1)*dim]
		t0 := time.Now()
		rec, err := ds.Search(ctx, lance.SearchOptions{
			Query: q, K: 10, Metric: lance.MetricCosine, Columns: []string{"id"},
			BypassVectorIndex: mode.exact, NProbes: mode.nprobes, RefineFactor: mode.refine,
		})
		if err != nil {
			return nil, err
		}
		lat = append(lat, float64(time.Since(t0).Microseconds())/1000)
		if truth != nil {
			ids, ok := rec.Column(0).(stringValues)
			if !ok {
				rec.Release()
				return nil, fmt.Errorf("id column is %s, not a string array", rec.Column(0).DataType())
			}
			want := make(map[string]bool, len(truth[qi]))
			for _, id := range truth[qi] {
				want[id] = true
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				if want[ids.Value(i)] {
					hits++
				}
			}
		}
		rec.Release()
	}
	sort.Float64s(lat)
	fig := figures{
		"query_p50_ms": round(lat[len(lat)/2], 2),
		"query_p99_ms": round(lat[int(float64(len(lat))*0.99)], 2),
	}
	if truth != nil {
		fig["recall10"] = round(float64(hits)/float64(nq*10), 4)
	}
	return fig, nil
}

// maintain compacts and then removes every version but the latest,
// recording time, peak RSS and disk use under prefix. With -maint-proc it
// runs in a child process (resona-bench -maintain), so that the peak RSS is
// that of maintenance alone, not of this harness holding every vector.
func (b *bench) maintain(ctx context.Context, ds *lance.Dataset, prefix string) (*lance.Dataset, error) {
	var fig figures
	var err error
	next := ds
	if b.c.maintProc {
		ds.Close()
		fig, err = maintainChild(ctx, b.c.dir)
		if err == nil {
			next, err = lance.Open(ctx, b.c.dir)
		}
		b.out[prefix+"maint_process"] = "child"
	} else {
		fig, next, err = maintainTable(ctx, ds, &b.rss)
		b.out[prefix+"maint_process"] = "in-process"
	}
	if err != nil {
		return nil, err
	}
	for k, v := range fig {
		b.out[prefix+k] = v
	}
	return next, nil
}

// maintainChild runs `resona-bench -maintain dir` and returns its figures.
func maintainChild(ctx context.Context, dir string) (figures, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-maintain", dir)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("maintenance process: %w", err)
	}
	var fig figures
	if err := json.Unmarshal(raw, &fig); err != nil {
		return nil, fmt.Errorf("maintenance process output: %w", err)
	}
	for _, k := range []string{"engine", "mode", "go", "gomaxprocs", "D", "timing"} {
		delete(fig, k) // the parent's line already says these
	}
	return fig, nil
}

// maintainOnly is the -maintain mode: open a table, compact, clean up.
func maintainOnly(ctx context.Context, dir string, out figures) error {
	out["mode"] = "maintain"
	var rss rssTracker
	ds, err := lance.Open(ctx, dir)
	if err != nil {
		return err
	}
	fig, next, err := maintainTable(ctx, ds, &rss)
	if err != nil {
		return err
	}
	next.Close()
	ds.Close()
	for k, v := range fig {
		out[k] = v
	}
	out["maint_process_max_rss_mb"] = rss.runMax()
	return nil
}

func maintainTable(ctx context.Context, ds *lance.Dataset, rss *rssTracker) (figures, *lance.Dataset, error) {
	dir := ds.Path()
	out := figures{}
	base := rssMB()
	endPhase := rss.phase(out, "maint")
	out["maint_bytes_before"] = duBytes(dir)
	t0 := time.Now()
	// Optimize (compaction, then an index delta for fragments the vector
	// index misses, as LanceDB's optimize does), cleanup separately below
	// so that every older version goes whatever its age.
	compacted, res, err := ds.Optimize(ctx, lance.OptimizeOptions{CleanupOlderThan: -1})
	if err != nil {
		return nil, nil, fmt.Errorf("optimize: %w", err)
	}
	m := res.Compaction
	out["compact_s"] = secs(time.Since(t0))
	if len(res.IndexesUpdated) > 0 {
		out["index_deltas"] = len(res.IndexesUpdated)
	}
	t1 := time.Now()
	cs, err := compacted.CleanupOldVersions(ctx, lance.CleanupOptions{RetainVersions: 1})
	if err != nil {
		return nil, nil, fmt.Errorf("cleanup: %w", err)
	}
	out["cleanup_s"] = secs(time.Since(t1))
	out["maintain_s"] = secs(time.Since(t0))
	out["maint_rss_before_mb"] = base
	endPhase()
	out["maint_bytes_after"] = duBytes(dir)
	out["compact_fragments_removed"] = m.FragmentsRemoved
	out["compact_fragments_added"] = m.FragmentsAdded
	out["compact_rows_rewritten"] = m.RowsRewritten
	out["cleanup_versions_removed"] = len(cs.VersionsRemoved)
	out["cleanup_bytes_removed"] = cs.BytesRemoved
	if len(m.Skipped) > 0 {
		out["compact_skipped_groups"] = len(m.Skipped)
	}
	if compacted != ds {
		ds.Close()
	}
	return out, compacted, nil
}

// ann builds IVF_PQ indexes with TypeScript Resona's parameters and with
// LanceDB's defaults, and queries each as bench.mjs does, when the engine
// can; otherwise it records why not. Only real figures are written.
func (b *bench) ann(ctx context.Context, ds *lance.Dataset, truth [][]string) (*lance.Dataset, error) {
	end := b.rss.phase(b.out, "index_resona_params")
	t0 := time.Now()
	indexed, err := ds.CreateIndex(ctx, "vector", lance.IndexOptions{
		Type:          lance.IndexIVFPQ,
		NumPartitions: max(1, b.c.n/5000),
		NumSubVectors: min(16, b.c.d/16),
		Metric:        lance.MetricCosine,
	})
	switch {
	case errors.Is(err, lance.ErrUnsupported):
		b.out["ann"] = "unsupported"
		return ds, nil
	case err != nil:
		b.out["ann"] = "error: " + err.Error()
		return ds, nil
	}
	b.out["index_resona_params_s"] = secs(time.Since(t0))
	end()
	ds.Close()
	ds = indexed
	if err := b.search(ctx, ds, "ivfpq_resona", annPlain, truth, b.nq); err != nil {
		return nil, err
	}
	if err := b.search(ctx, ds, "ivfpq_resona_refine", searchMode{nprobes: 20, refine: 10}, truth, b.nq); err != nil {
		return nil, err
	}
	if err := b.search(ctx, ds, "ivfpq_resona_np10", searchMode{nprobes: 10, refine: -1}, truth, b.nq); err != nil {
		return nil, err
	}
	if err := b.search(ctx, ds, "ivfpq_resona_np10_refine", searchMode{nprobes: 10, refine: 10}, truth, b.nq); err != nil {
		return nil, err
	}
	end = b.rss.phase(b.out, "index_default_params")
	t0 = time.Now()
	indexed, err = ds.CreateIndex(ctx, "vector", lance.IndexOptions{Type: lance.IndexIVFPQ, Metric: lance.MetricCosine, Replace: true})
	if err != nil {
		b.out["ann"] = "default-params index error: " + err.Error()
		return ds, nil
	}
	b.out["index_default_params_s"] = secs(time.Since(t0))
	end()
	ds.Close()
	ds = indexed
	if err := b.search(ctx, ds, "ivfpq_default", annPlain, truth, b.nq); err != nil {
		return nil, err
	}
	if err := b.search(ctx, ds, "ivfpq_default_refine", searchMode{nprobes: 20, refine: 10}, truth, b.nq); err != nil {
		return nil, err
	}
	b.out["ann"] = "ok"
	return ds, nil
}

// hasVectorIndex reports whether the table has an index on "vector"
// ("" type: LanceDB 0.13 did not record index types).
func hasVectorIndex(ds *lance.Dataset) bool {
	for _, ix := range ds.Indexes() {
		for _, c := range ix.Columns {
			if c == "vector" && (ix.Type == "vector" || ix.Type == "") {
				return true
			}
		}
	}
	return false
}

// incremental appends c.incr more rows in the same batches, maintains
// again, and searches over all rows (the first 20 queries).
func (b *bench) incremental(ctx context.Context, ds *lance.Dataset) error {
	c, out := b.c, b.out
	t0 := time.Now()
	ds, err := b.ingest(ctx, ds, c.n, c.n+c.incr)
	if err != nil {
		return fmt.Errorf("incremental ingest: %w", err)
	}
	out["incr_rows"] = c.incr
	out["incr_ingest_s"] = secs(time.Since(t0))
	ds, err = b.maintain(ctx, ds, "incr_")
	if err != nil {
		return err
	}
	defer ds.Close()
	out["incr_fragments"] = len(ds.Fragments())
	out["incr_bytes"] = duBytes(c.dir)
	qi := min(b.nq, 20)
	truth := groundTruth(b.vecs, b.queries, c.d, c.n+c.incr, qi, 10)
	if err := b.search(ctx, ds, "incr_flat", exact, truth, qi); err != nil {
		return err
	}
	if hasVectorIndex(ds) {
		return b.search(ctx, ds, "incr_ivfpq_default", annPlain, truth, qi)
	}
	return nil
}

// openOnly reads an existing table: row count, full scan, exact search.
func openOnly(ctx context.Context, c config, out figures, queries []float32, nq int) error {
	out["mode"] = "open"
	out["table"] = c.open
	if c.label != "" {
		out["table"] = c.label
	}
	ds, err := lance.Open(ctx, c.open)
	if err != nil {
		return err
	}
	defer ds.Close()
	rows, err := ds.CountRows(ctx)
	if err != nil {
		return err
	}
	out["rows"] = rows
	out["fragments"] = len(ds.Fragments())
	out["data_storage_version"] = ds.DataStorageVersion()
	fig, err := scanFigures(ctx, ds)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	for k, v := range fig {
		out[k] = v
	}
	var truth [][]string
	if c.n > 0 && int64(c.n) == rows {
		vecs, unmap, err := loadVectors(filepath.Join(c.data, "vectors.f32"), c.n, c.d)
		if err != nil {
			return err
		}
		truth = groundTruth(vecs, queries, c.d, c.n, nq, 10)
		unmap()
	}
	fig, err = searchFigures(ctx, ds, queries, c.d, nq, exact, truth)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	for k, v := range fig {
		out["flat_"+k] = v
	}
	if hasVectorIndex(ds) {
		fig, err = searchFigures(ctx, ds, queries, c.d, nq, annPlain, truth)
		if err != nil {
			out["ivfpq"] = "error: " + err.Error()
		}
		for k, v := range fig {
			out["ivfpq_"+k] = v
		}
	}
	out["max_rss_mb"] = peakRSSMB()
	return nil
}
