package lance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// The benchmarks read a table written by real LanceDB 0.13 (format 2.0):
// LANCE_BENCH_ROWS rows (default 20000) of LANCE_BENCH_DIM-dimensional
// vectors (default 1024) with an id column, appended in 4 fragments. The
// table is generated once with Node under the system temp directory and
// reused; the benchmarks skip when Node or LanceDB is unavailable
// (LANCE_BENCH_LANCEDB points at @lancedb/lancedb's dist/index.js).

const benchTableScript = `
const lancedb = await import(process.env.LANCEDB_JS);
const arrow = await import(process.env.ARROW_JS);
const [out, N, D] = [process.argv[2], +process.argv[3], +process.argv[4]];
let s = 7;
// xorshift32: exact in 32-bit integer arithmetic, so no vectors repeat.
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
const schema = new arrow.Schema([
  new arrow.Field('id', new arrow.Utf8(), true),
  new arrow.Field('vector', new arrow.FixedSizeList(D, new arrow.Field('item', new arrow.Float32(), true)), true),
]);
const db = await lancedb.connect(out);
let tbl = null;
const per = Math.ceil(N / 4);
for (let start = 0; start < N; start += per) {
  const n = Math.min(per, N - start);
  const ids = [], vecs = [];
  for (let i = start; i < start + n; i++) {
    ids.push('doc' + i);
    const v = new Float32Array(D);
    for (let d = 0; d < D; d++) v[d] = rnd() * 2 - 1;
    vecs.push(v);
  }
  const t = new arrow.Table(schema, {
    id: arrow.vectorFromArray(ids, new arrow.Utf8()),
    vector: arrow.vectorFromArray(vecs, schema.fields[1].type),
  });
  if (tbl === null) tbl = await db.createTable('bench', t); else await tbl.add(t);
}
const q = Array.from({ length: D }, () => rnd() * 2 - 1);
const t0 = performance.now();
for (let i = 0; i < 5; i++) await tbl.search(q).bypassVectorIndex().limit(10).select(['id']).toArray();
console.log(JSON.stringify({ lancedb_flat_search_ms: (performance.now() - t0) / 5 }));
`

func benchEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchTable returns the path of the benchmark table, generating it on
// first use.
func benchTable(b *testing.B) (path string, rows, dim int) {
	b.Helper()
	rows, dim = benchEnvInt("LANCE_BENCH_ROWS", 20000), benchEnvInt("LANCE_BENCH_DIM", 1024)
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("resona-lance-bench-v2-%d-%d", rows, dim))
	path = filepath.Join(dir, "bench.lance")
	if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
		return path, rows, dim
	}
	lancedbJS := os.Getenv("LANCE_BENCH_LANCEDB")
	if lancedbJS == "" {
		lancedbJS = "/tmp/npmtest/v13/node_modules/@lancedb/lancedb/dist/index.js"
	}
	arrowJS := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(lancedbJS)))), "apache-arrow", "Arrow.node.js")
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("node not found; cannot generate the benchmark table")
	}
	for _, f := range []string{lancedbJS, arrowJS} {
		if _, err := os.Stat(f); err != nil {
			b.Skipf("LanceDB not installed (%v)", err)
		}
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(dir, "gen.mjs")
	if err := os.WriteFile(script, []byte(benchTableScript), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(node, script, dir, strconv.Itoa(rows), strconv.Itoa(dim))
	cmd.Env = append(os.Environ(), "LANCEDB_JS="+lancedbJS, "ARROW_JS="+arrowJS)
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("generating the benchmark table: %v", err)
	}
	b.Logf("generated %s: %s", path, out)
	if err := os.WriteFile(filepath.Join(dir, "done"), out, 0o644); err != nil {
		b.Fatal(err)
	}
	return path, rows, dim
}

func BenchmarkScanVectors(b *testing.B) {
	path, rows, dim := benchTable(b)
	ds := openT(b, path)
	ctx := context.Background()
	b.SetBytes(int64(rows * dim * 4))
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for rec, err := range ds.Scan(ctx, ScanOptions{Columns: []string{"vector"}}) {
			if err != nil {
				b.Fatal(err)
			}
			n += int(rec.NumRows())
			rec.Release()
		}
		if n != rows {
			b.Fatalf("scanned %d rows, want %d", n, rows)
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	path, _, dim := benchTable(b)
	ds := openT(b, path)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	q := make([]float32, dim)
	for i := range q {
		q[i] = r.Float32()*2 - 1
	}
	b.ResetTimer()
	for b.Loop() {
		rec, err := ds.Search(ctx, SearchOptions{Query: q, K: 10, Columns: []string{"id"}})
		if err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
}

func BenchmarkTake(b *testing.B) {
	path, rows, _ := benchTable(b)
	ds := openT(b, path)
	ctx := context.Background()
	var addrs []uint64
	for _, f := range ds.Fragments() {
		for i := uint64(0); i < f.PhysicalRows; i += max(1, uint64(rows)/40) {
			addrs = append(addrs, f.ID<<32|i)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rec, err := ds.Take(ctx, addrs[:min(len(addrs), 100)], []string{"id", "vector"})
		if err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
}
