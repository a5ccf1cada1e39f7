package lance

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Environment of the crash-loop writer process.
const (
	envLoopDir    = "RESONA_CRASH_LOOP_DIR"
	envLoopPoint  = "RESONA_CRASH_LOOP_POINT"
	envLoopPrefix = "RESONA_CRASH_LOOP_PREFIX"
	envLoopRows   = "RESONA_CRASH_LOOP_ROWS"
	// envLoopKills sets the number of writers TestCrashLoop kills.
	envLoopKills = "RESONA_CRASH_LOOP_KILLS"
	// loopRandom makes the writer append until the parent kills it.
	loopRandom = "random"
	// loopReady is the line a random-mode writer prints once it is about
	// to start appending, so that the kill delay does not measure exec.
	loopReady = "crash-loop-ready"
)

var loopFailpoints = []string{commit.FailAfterDataWrite, commit.FailAfterTxnWrite,
	commit.FailBeforeManifestLink, commit.FailAfterManifestLink, commit.FailBeforeHint}

// loopBatchRows is the size of the k-th batch a random-mode writer appends.
func loopBatchRows(k int) int { return k%3 + 1 }

// TestCrashLoopHelper is not a test on its own: TestCrashLoop runs the
// test binary again with it selected. At a failpoint it appends one batch
// and kills itself there; in random mode it appends batches until killed.
func TestCrashLoopHelper(t *testing.T) {
	dir := os.Getenv(envLoopDir)
	if dir == "" {
		t.Skip("helper process only")
	}
	point, prefix := os.Getenv(envLoopPoint), os.Getenv(envLoopPrefix)
	ctx := context.Background()
	d, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if point == loopRandom {
		fmt.Println(loopReady)
		for k := 0; ; k++ {
			rows := rowsFor(fmt.Sprintf("%s-%d-", prefix, k), 0, loopBatchRows(k), 0, testDim)
			nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rows)})
			if err != nil {
				t.Fatal(err)
			}
			d = nd
		}
	}
	n, err := strconv.Atoi(os.Getenv(envLoopRows))
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rowsFor(prefix+"-", 0, n, 0, testDim))},
		WriteOptions{failpoint: func(name string) error {
			if name == point {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal ends the process
			}
			return nil
		}})
	t.Fatalf("the writer survived failpoint %q (err %v)", point, err)
}

func loopCommand(dir, point, prefix string, rows int) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashLoopHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envLoopDir+"="+dir, envLoopPoint+"="+point,
		envLoopPrefix+"="+prefix, envLoopRows+"="+strconv.Itoa(rows))
	return cmd
}

func requireSIGKILL(t *testing.T, what string, err error, out []byte) {
	t.Helper()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("%s: writer was not killed: %v\n%s", what, err, out)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("%s: writer ended without SIGKILL: %v\n%s", what, err, out)
	}
}

// runRandomKill starts a writer in random mode and kills it after a random
// delay of up to 20ms once it is ready to append.
func runRandomKill(t *testing.T, dir, prefix string, rng *rand.Rand) {
	t.Helper()
	cmd := loopCommand(dir, loopRandom, prefix, 0)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(pipe)
	var out strings.Builder
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if sc.Text() == loopReady {
			break
		}
	}
	time.Sleep(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
	_ = cmd.Process.Kill()
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	requireSIGKILL(t, prefix, err, []byte(out.String()+stderr.String()))
}

// loopState is what the parent knows the table holds.
type loopState struct {
	dir     string
	store   storage.Store
	latest  uint64
	rows    int64
	checked int // versions verified one by one
	// rowsAt is the row count of each version, from the appends that
	// landed.
	rowsAt map[uint64]int64
}

// newVersions verifies every version after s.latest up to the current
// latest: each must add exactly the rows of batch(i) (i = 0, 1, ... for
// the i-th new version), in full, readable from its data files. It returns
// how many versions landed.
func (s *loopState) newVersions(t *testing.T, batch func(i int) (prefix string, rows int)) int {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, s.dir)
	if err != nil {
		t.Fatalf("open latest after a crash: %v", err)
	}
	defer d.Close()
	latest := d.Version()
	if latest < s.latest {
		t.Fatalf("latest version went back from %d to %d", s.latest, latest)
	}
	if h, ok := format.ReadVersionHint(ctx, s.store); ok && h > latest {
		t.Fatalf("version hint %d points past the latest version %d", h, latest)
	}
	prev, err := Open(ctx, s.dir, WithVersion(s.latest))
	if err != nil {
		t.Fatalf("version %d: %v", s.latest, err)
	}
	seen := map[uint64]bool{}
	for _, f := range prev.m.Fragments {
		seen[f.ID] = true
	}
	prev.Close()
	for v := s.latest + 1; v <= latest; v++ {
		i := int(v - s.latest - 1)
		prefix, n := batch(i)
		dv, err := Open(ctx, s.dir, WithVersion(v))
		if err != nil {
			t.Fatalf("version %d (latest %d): %v", v, latest, err)
		}
		var fresh []uint64
		for _, f := range dv.m.Fragments {
			if !seen[f.ID] {
				fresh = append(fresh, f.ID)
				seen[f.ID] = true
			}
		}
		got := map[string]bool{}
		if len(fresh) > 0 {
			for rec, err := range dv.Scan(ctx, ScanOptions{Columns: []string{"id", "context_text"}, Fragments: fresh}) {
				if err != nil {
					t.Fatalf("version %d: reading its new fragments %v: %v", v, fresh, err)
				}
				ids := rec.Column(0).(*array.String)
				txt := rec.Column(1).(*array.String)
				for j := 0; j < ids.Len(); j++ {
					if r := makeRow(ids.Value(j), 0, testDim); txt.Value(j) != r.text() {
						t.Fatalf("version %d: row %s has text %q", v, ids.Value(j), txt.Value(j))
					}
					got[ids.Value(j)] = true
				}
			}
		}
		if len(got) != n {
			t.Fatalf("version %d: new fragments %v hold %d rows, want the %d of batch %s", v, fresh, len(got), n, prefix)
		}
		for j := 0; j < n; j++ {
			if id := fmt.Sprintf("%s-%d", prefix, j); !got[id] {
				t.Fatalf("version %d: row %s missing; got %v", v, id, got)
			}
		}
		s.rows += int64(n)
		s.rowsAt[v] = s.rows
		cnt, err := dv.CountRows(ctx)
		if err != nil || cnt != s.rows {
			t.Fatalf("version %d: CountRows %d (%v), want %d", v, cnt, err, s.rows)
		}
		dv.Close()
		s.checked++
	}
	cnt, err := d.CountRows(ctx)
	if err != nil || cnt != s.rows {
		t.Fatalf("latest version %d: CountRows %d (%v), want %d", latest, cnt, err, s.rows)
	}
	landed := int(latest - s.latest)
	s.latest = latest
	return landed
}

// verifyAllVersions reads every version's manifest and checks that all
// files it names exist, and that its row count is the one recorded when
// it was first verified: later crashes must not disturb older versions.
func (s *loopState) verifyAllVersions(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	refs, _, err := format.ScanVersions(ctx, s.store)
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range refs {
		if ref.Version != uint64(i+1) {
			t.Fatalf("versions are not contiguous at %d", ref.Version)
		}
		m, err := format.ReadManifest(ctx, s.store, ref.Path)
		if err != nil {
			t.Fatalf("version %d: %v", ref.Version, err)
		}
		if n, ok := m.NumRows(); !ok || int64(n) != s.rowsAt[ref.Version] {
			t.Fatalf("version %d: manifest says %d rows (%v), want %d", ref.Version, n, ok, s.rowsAt[ref.Version])
		}
		for _, fr := range m.Fragments {
			for _, df := range fr.Files {
				if _, err := s.store.Stat(ctx, df.Path); err != nil {
					t.Fatalf("version %d: fragment %d names missing file %s: %v", ref.Version, fr.ID, df.Path, err)
				}
			}
		}
	}
}

// TestCrashLoop kills writers again and again on one table, at every
// commit failpoint and at random moments, and after every kill checks that
// the table opens at its latest version, that each version that landed
// holds exactly the rows of one whole append, that nothing else became
// visible, that the version hint never leads, and that the next commit
// works. RESONA_CRASH_LOOP_KILLS sets the number of kills (default 300).
func TestCrashLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns hundreds of processes")
	}
	total := 300
	if v := os.Getenv(envLoopKills); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive count", envLoopKills, v)
		}
		total = n
	}
	ctx := context.Background()
	path := tempTable(t)
	d := mustCreate(t, path, testDim, rowsFor("base-", 0, 5, 0, testDim), CreateOptions{})
	d.Close()
	s := &loopState{dir: path, store: storage.NewLocal(path), latest: 1, rows: 5, rowsAt: map[uint64]int64{1: 5}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))

	kills := map[string]int{}
	landedBy := map[string]int{}
	start := time.Now()
	// Random kills take every sixth turn; the failpoints share the rest.
	for i := 0; i < total; i++ {
		prefix := fmt.Sprintf("c%d", i)
		var point string
		if i%6 == 5 {
			point = loopRandom
			runRandomKill(t, path, prefix, rng)
			landed := s.newVersions(t, func(k int) (string, int) { return fmt.Sprintf("%s-%d", prefix, k), loopBatchRows(k) })
			landedBy[point] += landed
		} else {
			point = loopFailpoints[(i-i/6)%len(loopFailpoints)]
			n := i%4 + 1
			out, err := loopCommand(path, point, prefix, n).CombinedOutput()
			requireSIGKILL(t, prefix+" at "+point, err, out)
			landed := s.newVersions(t, func(int) (string, int) { return prefix, n })
			want := 0
			if point == commit.FailAfterManifestLink || point == commit.FailBeforeHint {
				want = 1
			}
			if landed != want {
				t.Fatalf("%s killed at %s: %d versions landed, want %d", prefix, point, landed, want)
			}
			landedBy[point] += landed
		}
		kills[point]++
		// The next commit after the crash must succeed.
		cur, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		nd, err := cur.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rowsFor("after-"+prefix+"-", 0, 1, 0, testDim))})
		cur.Close()
		if err != nil {
			t.Fatalf("commit after %s killed at %s: %v", prefix, point, err)
		}
		nd.Close()
		if l := s.newVersions(t, func(int) (string, int) { return "after-" + prefix, 1 }); l != 1 {
			t.Fatalf("the commit after %s: %d versions, want 1", prefix, l)
		}
		if i%50 == 49 || i == total-1 {
			s.verifyAllVersions(t)
		}
	}
	final, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer final.Close()
	if got := tableContent(t, final); int64(len(got)) != s.rows {
		t.Fatalf("final scan: %d rows, want %d", len(got), s.rows)
	}
	var parts []string
	for _, p := range append(append([]string{}, loopFailpoints...), loopRandom) {
		parts = append(parts, fmt.Sprintf("%s=%d (landed %d)", p, kills[p], landedBy[p]))
	}
	t.Logf("crash loop: %d writers killed: %s; %d versions verified one by one (latest %d, %d rows), all %d versions re-verified every 50 kills; %s",
		total, strings.Join(parts, ", "), s.checked, s.latest, s.rows, s.latest, time.Since(start).Round(time.Millisecond))
}

// An append whose manifest landed must not be reported as failed, even
// when a compaction and a cleanup with no retention remove the new version
// before Append returns: the caller would retry and add the rows twice.
func TestAppendLandedThenCleanedUpReportsSuccess(t *testing.T) {
	ctx := context.Background()
	path := tempTable(t)
	d := mustCreate(t, path, testDim, rowsFor("a", 0, 4, 0, testDim), CreateOptions{})
	defer d.Close()
	maintain := func(name string) error {
		if name != commit.FailBeforeHint {
			return nil
		}
		cur, err := Open(ctx, path)
		if err != nil {
			return err
		}
		defer cur.Close()
		nd, _, err := cur.Compact(ctx, CompactionOptions{})
		if err != nil {
			return err
		}
		defer nd.Close()
		_, err = nd.CleanupOldVersions(ctx, CleanupOptions{RetainVersions: 1})
		return err
	}
	nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rowsFor("b", 0, 3, 0, testDim))},
		WriteOptions{failpoint: maintain})
	latest := openT(t, path)
	defer latest.Close()
	if n, cerr := latest.CountRows(ctx); cerr != nil || n != 7 {
		t.Fatalf("latest version %d: %d rows (%v), want 7", latest.Version(), n, cerr)
	}
	if err != nil {
		t.Fatalf("the append landed (the table has its rows) but Append returned: %v", err)
	}
	defer nd.Close()
	if nd.Version() != 2 || nd.Fragments()[len(nd.Fragments())-1].PhysicalRows != 3 {
		t.Errorf("Append returned version %d with fragments %+v, want version 2 ending with the 3 appended rows", nd.Version(), nd.Fragments())
	}
}
