// Package interop checks the Go Lance engine against real LanceDB.
//
// Node scripts in node/scripts run pinned LanceDB releases (node/lancedb-0.13
// and node/lancedb-0.39, installed by `make interop-deps`): write.mjs builds
// tables with realistic histories and dump.mjs writes, as JSON, what LanceDB
// itself reads from them. The tests in this package open the same tables with
// package lance and compare schema, rows, nulls, versions, fragments and
// exact search results with those dumps.
//
// The tests fail when Node or the pinned packages are missing. Set
// RESONA_INTEROP=skip to skip them on a machine without Node.
package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
)

// Versions are the LanceDB releases the harness can run, by folder suffix.
var Versions = []string{"0.13", "0.39"}

// SkipEnv is the environment variable that, set to "skip", turns the
// interop tests into skips.
const SkipEnv = "RESONA_INTEROP"

// Harness runs the Node scripts.
type Harness struct {
	Node string // path of the node binary
	Dir  string // the interop/node folder
}

// Locate finds node (RESONA_NODE overrides the PATH lookup) and checks that
// every pinned LanceDB release is installed next to the scripts.
func Locate() (*Harness, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return nil, errors.New("interop: cannot locate the interop folder")
	}
	dir := filepath.Join(filepath.Dir(self), "node")
	node := os.Getenv("RESONA_NODE")
	if node == "" {
		p, err := exec.LookPath("node")
		if err != nil {
			return nil, fmt.Errorf("interop: node not found on PATH (install Node 20+, then run `make interop-deps`; or set %s=skip): %w", SkipEnv, err)
		}
		node = p
	}
	for _, v := range Versions {
		pkg := filepath.Join(dir, "lancedb-"+v, "node_modules", "@lancedb", "lancedb", "package.json")
		if _, err := os.Stat(pkg); err != nil {
			return nil, fmt.Errorf("interop: LanceDB %s is not installed in %s: run `make interop-deps` (or set %s=skip)", v, filepath.Dir(filepath.Dir(filepath.Dir(pkg))), SkipEnv)
		}
	}
	return &Harness{Node: node, Dir: dir}, nil
}

// run executes one script and returns its standard output; on failure the
// error carries the script's standard error.
func (h *Harness) run(ctx context.Context, script string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, h.Node, append([]string{filepath.Join(h.Dir, "scripts", script)}, args...)...)
	// LanceDB warns on every connection that 2 cores are few; keep logs quiet.
	cmd.Env = append(os.Environ(), "RUST_LOG=error", "LANCEDB_LOG=error")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("interop: node %s %v: %w\n%s", script, args, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

// Op is one write operation and the table version it produced.
type Op struct {
	Op      string `json:"op"`
	Version uint64 `json:"version"`
}

// WriteSummary is what write.mjs prints.
type WriteSummary struct {
	LanceDB       string `json:"lancedb"`
	Scenario      string `json:"scenario"`
	Table         string `json:"table"`
	TableDir      string `json:"tableDir"`
	LatestVersion uint64 `json:"latestVersion"`
	OlderVersion  uint64 `json:"olderVersion"`
	VectorColumn  string `json:"vectorColumn"`
	IDColumn      string `json:"idColumn"`
	Ops           []Op   `json:"ops"`
}

// Write runs write.mjs: LanceDB <version> writes <scenario> into dbDir.
func (h *Harness) Write(ctx context.Context, version, dbDir, scenario string) (*WriteSummary, error) {
	out, err := h.run(ctx, "write.mjs", version, dbDir, scenario)
	if err != nil {
		return nil, err
	}
	var s WriteSummary
	if err := json.Unmarshal(bytes.TrimSpace(out), &s); err != nil {
		return nil, fmt.Errorf("interop: write.mjs output: %w: %q", err, out)
	}
	return &s, nil
}

// Maintain runs maintain.mjs: LanceDB <version> deletes a few rows of the
// table and optimizes it. It returns the versions the operations produced.
func (h *Harness) Maintain(ctx context.Context, version, dbDir, table string) ([]Op, error) {
	return h.maintain(ctx, version, dbDir, table)
}

// MaintainAppend is Maintain with an append instead of the delete: LanceDB
// adds copies of the table's first rows rows under new ids ("new-00000", …)
// and optimizes it.
func (h *Harness) MaintainAppend(ctx context.Context, version, dbDir, table string, rows int) ([]Op, error) {
	return h.maintain(ctx, version, dbDir, table, "--add", strconv.Itoa(rows))
}

func (h *Harness) maintain(ctx context.Context, version, dbDir, table string, flags ...string) ([]Op, error) {
	out, err := h.run(ctx, "maintain.mjs", append([]string{version, dbDir, table}, flags...)...)
	if err != nil {
		return nil, err
	}
	var s struct {
		Ops []Op `json:"ops"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &s); err != nil {
		return nil, fmt.Errorf("interop: maintain.mjs output: %w: %q", err, out)
	}
	return s.Ops, nil
}

// Field is a schema field as dump.mjs spells it.
type Field struct {
	Name     string  `json:"name"`
	Type     string  `json:"type"`
	Nullable bool    `json:"nullable"`
	Children []Field `json:"children,omitempty"`
}

// VersionEntry is one listed version; TimestampMS is nil where LanceDB
// does not list versions (0.13).
type VersionEntry struct {
	Version     uint64 `json:"version"`
	TimestampMS *int64 `json:"timestamp_ms"`
}

// IndexStats are LanceDB's statistics of one index.
type IndexStats struct {
	NumIndexedRows   int64   `json:"num_indexed_rows"`
	NumUnindexedRows int64   `json:"num_unindexed_rows"`
	IndexType        string  `json:"index_type"`
	DistanceType     *string `json:"distance_type"`
	NumIndices       *int64  `json:"num_indices"`
}

// IndexEntry is one index LanceDB lists.
type IndexEntry struct {
	Name      string      `json:"name"`
	IndexType string      `json:"index_type"`
	Columns   []string    `json:"columns"`
	Stats     *IndexStats `json:"stats"`
}

// TableStats are LanceDB 0.39's table statistics (nil for 0.13).
type TableStats struct {
	NumRows           int64  `json:"num_rows"`
	NumIndices        int64  `json:"num_indices"`
	NumFragments      *int64 `json:"num_fragments"`
	NumSmallFragments *int64 `json:"num_small_fragments"`
}

// Search is one exact vector search and its results (id, _distance and
// _rowid per row).
type Search struct {
	Metric string `json:"metric"`
	K      int    `json:"k"`
	// NProbes and RefineFactor are set for searches through the index.
	NProbes      int              `json:"nprobes"`
	RefineFactor int              `json:"refine_factor"`
	Query        []float32        `json:"query"`
	Results      []map[string]any `json:"results"`
}

// FilterResult is what LanceDB reads with one filter: the count, the
// addresses of the matching rows (decimal strings) and, for vector tables,
// an exact search restricted to the matching rows.
type FilterResult struct {
	SQL    string   `json:"sql"`
	Count  int64    `json:"count"`
	RowIDs []string `json:"rowids"`
	Search *Search  `json:"search"`
}

// Dump is what dump.mjs writes. Row values keep json.Number for numbers.
type Dump struct {
	LanceDB       string         `json:"lancedb"`
	Table         string         `json:"table"`
	LatestVersion uint64         `json:"latest_version"`
	Version       uint64         `json:"version"`
	Versions      []VersionEntry `json:"versions"`
	CountRows     int64          `json:"count_rows"`
	Schema        []Field        `json:"schema"`
	Columns       []string       `json:"columns"` // names of the Rows entries; the last is "_rowid"
	Rows          [][]any        `json:"rows"`
	Indices       []IndexEntry   `json:"indices"`
	Stats         *TableStats    `json:"stats"`
	Searches      []Search       `json:"searches"`
	ANNSearches   []Search       `json:"ann_searches"`
	Filters       []FilterResult `json:"filters"`
}

// DumpOptions select what dump.mjs reads.
type DumpOptions struct {
	Version      uint64 // 0 = latest
	VectorColumn string // "" = no searches
	IDColumn     string
	Filters      []string // LanceDB SQL filters to evaluate
}

// Dump runs dump.mjs on the table <table> of dbDir and decodes its output,
// which it writes to outJSON.
func (h *Harness) Dump(ctx context.Context, version, dbDir, table, outJSON string, o DumpOptions) (*Dump, error) {
	args := []string{version, dbDir, table, outJSON}
	if o.Version != 0 {
		args = append(args, "--version", strconv.FormatUint(o.Version, 10))
	}
	if o.VectorColumn != "" {
		args = append(args, "--vector", o.VectorColumn, "--id", o.IDColumn)
	}
	if len(o.Filters) > 0 {
		b, err := json.Marshal(o.Filters)
		if err != nil {
			return nil, err
		}
		args = append(args, "--filters", string(b))
	}
	if _, err := h.run(ctx, "dump.mjs", args...); err != nil {
		return nil, err
	}
	f, err := os.Open(outJSON)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.UseNumber()
	var d Dump
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("interop: decode %s: %w", outJSON, err)
	}
	return &d, nil
}
