package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/resona-go/resona"
	"github.com/resona-go/resona/lance"
)

// vectorProvider is a provider.Provider that "embeds" the text "node_i" as
// row i of the benchgen vectors, so that the service stores exactly the
// vectors the engine-level phases use.
type vectorProvider struct {
	vecs []float32
	dim  int
}

func (p vectorProvider) Name() string      { return "benchgen" }
func (p vectorProvider) Model() string     { return "benchgen" }
func (p vectorProvider) Dimensions() int   { return p.dim }
func (p vectorProvider) MaxBatchSize() int { return 100 }
func (p vectorProvider) MaxChars() int     { return 0 }

func (p vectorProvider) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	rows := len(p.vecs) / p.dim
	for i, t := range texts {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "node_"))
		if err != nil || n < 0 || n >= rows {
			return nil, fmt.Errorf("no benchgen vector for text %q", t)
		}
		// A copy: the vectors are a read-only mapping of the file.
		out[i] = append([]float32(nil), p.vecs[n*p.dim:(n+1)*p.dim]...)
	}
	return out, nil
}

// serviceRun is the -service mode: the service-level acceptance check.
// EmbedBatch of n items with one commit per 100 rows, search, Maintain
// (compaction, index creation, cleanup keeping only the latest version),
// search again; and the same items written in one EmbedBatch call (one
// fragment) and maintained the same way, searched alongside.
func serviceRun(ctx context.Context, c config, out figures) error {
	out["mode"] = "service"
	out["N"], out["store_batch"] = c.n, c.batch
	nq, err := queryCount(filepath.Join(c.data, "queries.f32"), c.d)
	if err != nil {
		return err
	}
	nq = min(nq, 100)
	queries, err := readF32(filepath.Join(c.data, "queries.f32"), nq, c.d)
	if err != nil {
		return err
	}
	out["queries"] = nq
	vecs, unmap, err := loadVectors(filepath.Join(c.data, "vectors.f32"), c.n, c.d)
	if err != nil {
		return err
	}
	defer unmap()
	truth := groundTruth(vecs, queries, c.d, c.n, nq, 10)
	p := vectorProvider{vecs: vecs, dim: c.d}
	items := make([]resona.Item, c.n)
	for i := range items {
		items[i] = resona.Item{ID: "node_" + strconv.Itoa(i), Text: "node_" + strconv.Itoa(i)}
	}
	if err := os.RemoveAll(c.service); err != nil {
		return err
	}
	maintOpts := resona.MaintenanceOptions{RetentionDays: resona.Days(0)}

	// The Resona path: many small commits, then maintenance.
	frag, err := resona.New(ctx, p, filepath.Join(c.service, "batched.lance"), resona.Options{})
	if err != nil {
		return err
	}
	defer frag.Close()
	t0 := time.Now()
	res, err := frag.EmbedBatch(ctx, items, resona.BatchOptions{StoreBatchSize: c.batch})
	if err == nil && res.Errors > 0 {
		err = fmt.Errorf("%d items failed", res.Errors)
	}
	if err != nil {
		return fmt.Errorf("batched embed: %w", err)
	}
	out["batched_embed_s"] = secs(time.Since(t0))
	out["batched_embed_rows_per_s"] = math.Round(float64(c.n) / time.Since(t0).Seconds())
	if err := tableShape(ctx, frag, out, "batched_before_"); err != nil {
		return err
	}
	if err := serviceSearch(ctx, []*resona.EmbeddingService{frag}, []string{"batched_before"}, queries, c.d, nq, truth, out, 1); err != nil {
		return err
	}
	t0 = time.Now()
	mres, err := frag.Maintain(ctx, maintOpts)
	if err != nil {
		return fmt.Errorf("maintain batched: %w", err)
	}
	out["batched_maintain_s"] = secs(time.Since(t0))
	stepTimes(mres, out, "batched_maintain_")
	if err := tableShape(ctx, frag, out, "batched_after_"); err != nil {
		return err
	}

	// The reference: one write of every item, maintained the same way.
	fresh, err := resona.New(ctx, p, filepath.Join(c.service, "fresh.lance"), resona.Options{})
	if err != nil {
		return err
	}
	defer fresh.Close()
	t0 = time.Now()
	if _, err := fresh.EmbedBatch(ctx, items, resona.BatchOptions{StoreBatchSize: c.n}); err != nil {
		return fmt.Errorf("fresh embed: %w", err)
	}
	out["fresh_embed_s"] = secs(time.Since(t0))
	t0 = time.Now()
	mres, err = fresh.Maintain(ctx, maintOpts)
	if err != nil {
		return fmt.Errorf("maintain fresh: %w", err)
	}
	out["fresh_maintain_s"] = secs(time.Since(t0))
	stepTimes(mres, out, "fresh_maintain_")
	if err := tableShape(ctx, fresh, out, "fresh_"); err != nil {
		return err
	}
	// Queries alternate between the two tables so that both see the same
	// load on this shared machine. The first pass touches each table's
	// index and data pages for the first time in this process; the
	// steady-state figures come from three more passes with the order of
	// the two tables swapped from query to query.
	both := []*resona.EmbeddingService{frag, fresh}
	if err := serviceSearch(ctx, both, []string{"batched_after_first_pass", "fresh_first_pass"}, queries, c.d, nq, truth, out, 1); err != nil {
		return err
	}
	if err := serviceSearch(ctx, both, []string{"batched_after", "fresh"}, queries, c.d, nq, truth, out, 3); err != nil {
		return err
	}
	out["max_rss_mb"] = peakRSSMB()
	return nil
}

func stepTimes(r *resona.MaintenanceResult, out figures, prefix string) {
	for _, s := range r.Steps {
		out[prefix+strings.ReplaceAll(s.Name, "-", "_")+"_s"] = secs(s.Elapsed)
	}
	out[prefix+"index_created"] = r.IndexCreated
}

// tableShape records fragments, versions, rows, index coverage and disk
// use of the service's table.
func tableShape(ctx context.Context, s *resona.EmbeddingService, out figures, prefix string) error {
	d, err := s.GetDiagnostics(ctx)
	if err != nil {
		return err
	}
	out[prefix+"fragments"] = d.Fragments
	out[prefix+"versions"] = d.Versions
	out[prefix+"rows"] = d.TotalRows
	out[prefix+"disk_bytes"] = d.DiskBytes
	if d.Index != nil {
		out[prefix+"indexed_rows"] = d.Index.NumIndexedRows
		out[prefix+"unindexed_rows"] = d.Index.NumUnindexedRows
	}
	ds, err := lance.Open(ctx, s.TablePath())
	if err == nil {
		out[prefix+"data_files"] = len(ds.Fragments())
		ds.Close()
	}
	return nil
}

// serviceSearch runs SearchVector (k=10) for every query on each service,
// passes times over the query set, recording p50/p99 and recall@10 against
// brute force per label. From the second pass on, the order of the
// services alternates from query to query.
func serviceSearch(ctx context.Context, svcs []*resona.EmbeddingService, labels []string, queries []float32, dim, nq int, truth [][]string, out figures, passes int) error {
	lat := make([][]float64, len(svcs))
	hits := make([]int, len(svcs))
	for pass := range passes {
		for qi := range nq {
			q := queries[qi*dim : (qi+1)*dim]
			want := make(map[string]bool, 10)
			for _, id := range truth[qi] {
				want[id] = true
			}
			for k := range svcs {
				si := k
				if pass > 0 && (pass+qi)%2 == 1 {
					si = len(svcs) - 1 - k
				}
				t0 := time.Now()
				rs, err := svcs[si].SearchVector(ctx, q, 10)
				if err != nil {
					return fmt.Errorf("%s search: %w", labels[si], err)
				}
				lat[si] = append(lat[si], float64(time.Since(t0).Microseconds())/1000)
				for _, r := range rs {
					if want[r.ID] {
						hits[si]++
					}
				}
			}
		}
	}
	for si, l := range lat {
		sort.Float64s(l)
		out[labels[si]+"_query_p50_ms"] = round(l[len(l)/2], 2)
		out[labels[si]+"_query_p99_ms"] = round(l[int(float64(len(l))*0.99)], 2)
		out[labels[si]+"_recall10"] = round(float64(hits[si])/float64(nq*10*passes), 4)
	}
	return nil
}
