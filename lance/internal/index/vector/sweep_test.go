//go:build linux

package vector

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/resona-go/resona/lance/internal/index/kmeans"
	"github.com/resona-go/resona/lance/internal/knn"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// TestSweep measures recall@10 and latency on the benchmark workload written
// by shared/tools/benchgen. It runs only when RESONA_BENCH_DATA names the
// directory holding vectors.f32 and queries.f32. Other knobs:
//
//	RESONA_BENCH_N        rows used (a prefix; default all)
//	RESONA_BENCH_DIM      dimension (default 1024)
//	RESONA_BENCH_CONFIGS  builds as partitions:subvectors[:pqsample[:pqiters[:ivfiters[:nbits[:pp]]]]],
//	                      comma separated (default "0:0", the defaults)
//	RESONA_BENCH_NPROBES  comma-separated nprobes (default "10,20,40")
//	RESONA_BENCH_REFINE   comma-separated refine factors (default "0,5,10,20")
//	RESONA_BENCH_INIT     "pp" for k-means++ IVF seeding in every build (pp = 1 does it for one)
//
// Figures are printed, never asserted: wall-clock time depends on the machine.
func TestSweep(t *testing.T) {
	dir := os.Getenv("RESONA_BENCH_DATA")
	if dir == "" {
		t.Skip("RESONA_BENCH_DATA not set")
	}
	dim := envInt(t, "RESONA_BENCH_DIM", 1024)
	vectors := readF32(t, filepath.Join(dir, "vectors.f32"), envInt(t, "RESONA_BENCH_N", 0)*dim)
	queries := readF32(t, filepath.Join(dir, "queries.f32"), 0)
	n, nq := len(vectors)/dim, len(queries)/dim
	const k = 10
	truth := groundTruth(t, vectors, queries, dim, k)
	t.Logf("rows %d, queries %d, dim %d, kernels %s", n, nq, dim, linalg.Impl())

	nprobes := envInts(t, "RESONA_BENCH_NPROBES", "10,20,40")
	refines := envInts(t, "RESONA_BENCH_REFINE", "0,5,10,20")
	fetch := func(_ context.Context, rows []uint64) ([]float32, error) {
		out := make([]float32, 0, len(rows)*dim)
		for _, r := range rows {
			out = append(out, vectors[int(r)*dim:(int(r)+1)*dim]...)
		}
		return out, nil
	}
	configs := os.Getenv("RESONA_BENCH_CONFIGS")
	if configs == "" {
		configs = "0:0"
	}
	for _, cfg := range strings.Split(configs, ",") {
		f := strings.Split(cfg, ":")
		get := func(i int) int {
			if i >= len(f) {
				return 0
			}
			v, err := strconv.Atoi(f[i])
			if err != nil {
				t.Fatalf("config %q: %v", cfg, err)
			}
			return v
		}
		opts := BuildOptions{Metric: linalg.MetricCosine, Partitions: get(0), SubVectors: get(1),
			PQSampleSize: get(2), PQMaxIters: get(3), IVFMaxIters: get(4), NBits: get(5), Seed: 1}
		if os.Getenv("RESONA_BENCH_INIT") == "pp" || get(6) == 1 {
			opts.IVFInit = kmeans.InitPlusPlus
		}
		stageCPU := map[Stage]time.Duration{}
		var lastStage Stage
		var ms0 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		peak := ms0.HeapAlloc
		opts.Progress = func(e Event) {
			if e.Stage != lastStage {
				stageCPU[e.Stage] = cpuTime()
				lastStage = e.Stage
			}
			// Sampled at progress events only, so a lower bound of the peak.
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
		}
		cpu0 := cpuTime()
		start := time.Now()
		ix, st, err := Build(context.Background(), SliceSource(vectors, dim, nil, 0), opts)
		if err != nil {
			t.Fatal(err)
		}
		build := time.Since(start)
		buildCPU := cpuTime() - cpu0
		// Progress events arrive at the end of a stage's first step, so the
		// stage boundaries are approximate.
		fmt.Printf("  build heap above the loaded vectors: ≥ %.0f MB at peak\n", float64(peak-ms0.HeapAlloc)/1e6)
		fmt.Printf("  cpu by stage: to ivf %.1fs, ivf→pq %.1fs, pq→encode %.1fs, encode %.1fs\n",
			(stageCPU[StageIVF] - cpu0).Seconds(), (stageCPU[StagePQ] - stageCPU[StageIVF]).Seconds(),
			(stageCPU[StageEncode] - stageCPU[StagePQ]).Seconds(), (cpu0 + buildCPU - stageCPU[StageEncode]).Seconds())
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		fmt.Printf("BUILD P=%d M=%d nbits=%d pqsample=%d pqiters=%d ivfiters=%d init=%d: %.1fs wall, %.1fs cpu (sample %.1fs ivf %.1fs/%d it pq %.1fs encode %.1fs) index %.1f MB maxrss %d MB\n",
			len(ix.Partitions), ix.Codebook.M, ix.Codebook.NBits, opts.PQSampleSize, opts.PQMaxIters, opts.IVFMaxIters, opts.IVFInit, build.Seconds(), buildCPU.Seconds(),
			st.Sample.Seconds(), st.IVF.Seconds(), st.IVFIters, st.PQ.Seconds(), st.Encode.Seconds(),
			float64(ix.memoryBytes())/1e6, ru.Maxrss/1024)
		for _, np := range nprobes {
			for _, rf := range refines {
				lat := make([]time.Duration, nq)
				cpuLat := make([]time.Duration, nq)
				hits := 0
				runtime.LockOSThread()
				for qi := range nq {
					q := queries[qi*dim : (qi+1)*dim]
					c0 := threadCPU()
					t0 := time.Now()
					res, err := ix.Search(context.Background(), q, SearchParams{K: k, NProbes: np, RefineFactor: rf}, fetch)
					lat[qi] = time.Since(t0)
					cpuLat[qi] = threadCPU() - c0
					if err != nil {
						t.Fatal(err)
					}
					hits += overlap(res, truth[qi])
				}
				runtime.UnlockOSThread()
				slices.Sort(lat)
				slices.Sort(cpuLat)
				fmt.Printf("  P=%d M=%d nprobes=%d refine=%d recall@10=%.3f p50=%.2fms p99=%.2fms cpu-p50=%.2fms cpu-p99=%.2fms\n",
					len(ix.Partitions), ix.Codebook.M, np, rf, float64(hits)/float64(nq*k),
					ms(lat[nq/2]), ms(lat[min(nq-1, nq*99/100)]), ms(cpuLat[nq/2]), ms(cpuLat[min(nq-1, nq*99/100)]))
			}
		}
	}
}

func (ix *Index) memoryBytes() int {
	b := 4*len(ix.Centroids) + 4*len(ix.Codebook.Centroids)
	for i, p := range ix.Partitions {
		b += 8*len(p.RowIDs) + len(p.Codes)
		if ix.rowTerms != nil {
			b += 4 * len(ix.rowTerms[i].terms)
		}
	}
	return b
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPU is the CPU time of the calling OS thread, which is less
// disturbed than wall time on a shared machine.
func threadCPU() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func overlap(res []knn.Neighbor, truth []uint64) int {
	h := 0
	for _, r := range res {
		if slices.Contains(truth, r.Row) {
			h++
		}
	}
	return h
}

// groundTruth is the exact top-k by cosine distance, as flat search finds it.
func groundTruth(t *testing.T, vectors, queries []float32, dim, k int) [][]uint64 {
	nq := len(queries) / dim
	out := make([][]uint64, nq)
	for qi := range nq {
		s, err := linalg.NewScorer(linalg.MetricCosine, queries[qi*dim:(qi+1)*dim])
		if err != nil {
			t.Fatal(err)
		}
		top := knn.NewTopK(k)
		if err := knn.ScanParallel(top, s, knn.Block{Vectors: vectors}, 2); err != nil {
			t.Fatal(err)
		}
		for _, r := range top.Results() {
			out[qi] = append(out[qi], r.Row)
		}
	}
	return out
}

// readF32 reads up to limit little-endian floats (all when limit is 0).
func readF32(t *testing.T, path string, limit int) []float32 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	n := int(st.Size() / 4)
	if limit > 0 {
		n = min(n, limit)
	}
	out := make([]float32, n)
	buf := make([]byte, 1<<20)
	for i := 0; i < n; {
		chunk := buf[:min(len(buf), 4*(n-i))]
		if _, err := io.ReadFull(f, chunk); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < len(chunk); j += 4 {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(chunk[j:]))
			i++
		}
	}
	return out
}

func envInt(t *testing.T, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func envInts(t *testing.T, name, def string) []int {
	s := os.Getenv(name)
	if s == "" {
		s = def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
	return out
}
