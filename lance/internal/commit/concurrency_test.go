package commit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// appendLoop appends `count` fragments of `rows` rows each, reading the
// latest version before each (or always version 1 when stale), and returns
// the versions its commits landed at.
func appendLoop(ctx context.Context, dir string, st storage.Store, first int64, count, rows int, stale bool) ([]uint64, int, error) {
	var out []uint64
	lost := 0
	fields := testFieldsNoT()
	for i := 0; i < count; i++ {
		read := uint64(1)
		if !stale {
			m, err := format.LoadManifest(ctx, st, 0)
			if err != nil {
				return out, lost, err
			}
			read = m.Version
		}
		frag, err := writeFragmentErr(dir, fields, first+int64(i*rows), int64(rows))
		if err != nil {
			return out, lost, err
		}
		res, err := Commit(ctx, st, &Transaction{ReadVersion: read, Operation: Append{Fragments: []*pb.DataFragment{frag}}},
			Options{MaxRetries: 200, BackoffUnit: 200 * time.Microsecond})
		if err != nil {
			return out, lost, err
		}
		out = append(out, res.Version)
		lost += res.Attempts - 1
	}
	return out, lost, nil
}

// checkAppends verifies that the latest version holds the initial fragment
// plus exactly `appends` appended fragments, each once, with distinct ids,
// and that the commit versions reported are distinct.
func checkAppends(t *testing.T, st storage.Store, versions []uint64, appends, rows, initial int) {
	t.Helper()
	seen := map[uint64]bool{}
	for _, v := range versions {
		if seen[v] {
			t.Fatalf("two commits report version %d", v)
		}
		seen[v] = true
	}
	m := verifyTable(t, st, nil)
	if m.Version != uint64(appends+1) {
		t.Fatalf("latest version %d, want %d", m.Version, appends+1)
	}
	if len(m.Fragments) != appends+1 {
		t.Fatalf("%d fragments, want %d", len(m.Fragments), appends+1)
	}
	ids, paths := map[uint64]bool{}, map[string]bool{}
	for _, f := range m.Fragments {
		if ids[f.ID] || paths[f.Files[0].Path] {
			t.Fatalf("fragment %d / %s appears twice", f.ID, f.Files[0].Path)
		}
		ids[f.ID], paths[f.Files[0].Path] = true, true
	}
	if n, _ := m.NumRows(); n != uint64(initial+appends*rows) {
		t.Fatalf("%d rows, want %d", n, initial+appends*rows)
	}
	// Every version in between is a single append on top of the previous.
	ctx := context.Background()
	for v := uint64(2); v <= m.Version; v++ {
		mv, err := format.LoadManifest(ctx, st, v)
		if err != nil {
			t.Fatal(err)
		}
		if len(mv.Fragments) != int(v) {
			t.Fatalf("version %d has %d fragments", v, len(mv.Fragments))
		}
	}
}

func TestConcurrentAppendsGoroutines(t *testing.T) {
	ctx := context.Background()
	for _, scheme := range []format.NamingScheme{format.SchemeV1, format.SchemeV2} {
		t.Run(scheme.String(), func(t *testing.T) {
			const workers, each, rows = 6, 5, 3
			dir, st := newTable(t, scheme, 10)
			var mu sync.Mutex
			var versions []uint64
			lostRaces := 0
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Half the writers keep reading version 1, so each of
					// their commits is checked against every later one.
					vs, lost, err := appendLoop(ctx, dir, st, int64(1000*(w+1)), each, rows, w%2 == 1)
					mu.Lock()
					versions = append(versions, vs...)
					lostRaces += lost
					mu.Unlock()
					if err != nil {
						errs <- err
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			checkAppends(t, st, versions, workers*each, rows, 10)
			t.Logf("%d commits, %d lost races retried", len(versions), lostRaces)
		})
	}
}

// Environment of the concurrent writer helper process.
const (
	envConcDir   = "RESONA_COMMIT_CONC_DIR"
	envConcFirst = "RESONA_COMMIT_CONC_FIRST"
	envConcCount = "RESONA_COMMIT_CONC_COUNT"
)

// TestConcurrentHelper is not a test on its own: TestConcurrentAppendsProcesses
// runs it in child processes that append to a shared table.
func TestConcurrentHelper(t *testing.T) {
	dir := os.Getenv(envConcDir)
	if dir == "" {
		t.Skip("helper process only")
	}
	first, _ := strconv.ParseInt(os.Getenv(envConcFirst), 10, 64)
	count, _ := strconv.Atoi(os.Getenv(envConcCount))
	vs, lost, err := appendLoop(context.Background(), dir, storage.NewLocal(dir), first, count, 3, false)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("lost %d\n", lost)
	for _, v := range vs {
		fmt.Printf("committed %d\n", v)
	}
}

func TestConcurrentAppendsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	const procs, each = 2, 8
	dir, st := newTable(t, format.SchemeV2, 10)
	type result struct {
		out []byte
		err error
	}
	results := make(chan result, procs)
	for p := 0; p < procs; p++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestConcurrentHelper$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), envConcDir+"="+dir, envConcFirst+"="+strconv.Itoa(10000*(p+1)),
			envConcCount+"="+strconv.Itoa(each))
		go func() {
			out, err := cmd.CombinedOutput()
			results <- result{out, err}
		}()
	}
	// The parent writes too, from a goroutine of its own.
	parent, lostRaces, perr := appendLoop(ctx, dir, st, 500000, each, 3, false)
	if perr != nil {
		t.Fatal(perr)
	}
	versions := append([]uint64(nil), parent...)
	for p := 0; p < procs; p++ {
		r := <-results
		if r.err != nil {
			t.Fatalf("child: %v\n%s", r.err, r.out)
		}
		n := 0
		for _, line := range splitLines(string(r.out)) {
			var v uint64
			var lost int
			if _, err := fmt.Sscanf(line, "committed %d", &v); err == nil {
				versions = append(versions, v)
				n++
			} else if _, err := fmt.Sscanf(line, "lost %d", &lost); err == nil {
				lostRaces += lost
			}
		}
		if n != each {
			t.Fatalf("child reported %d commits, want %d\n%s", n, each, r.out)
		}
	}
	checkAppends(t, st, versions, (procs+1)*each, 3, 10)
	t.Logf("%d commits from %d processes, %d lost races retried", len(versions), procs+1, lostRaces)
}

// TestConcurrentDeletes races deletes of distinct fragments (which must
// all land) and of one fragment (where exactly one wins).
func TestConcurrentDeletes(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV2, 10)
	for i := 0; i < 4; i++ {
		if _, _, err := appendLoop(ctx, dir, st, int64(100*(i+1)), 1, 10, false); err != nil {
			t.Fatal(err)
		}
	}
	// Version 5 has fragments 0..4 of 10 rows. Deletes of distinct
	// fragments all prepared on version 5:
	var txns []*Transaction
	for id := uint64(0); id < 4; id++ {
		txns = append(txns, deleteTxn(t, st, 5, id, uint32(id+1)))
	}
	// two deletes of the same rows of fragment 4,
	txns = append(txns, deleteTxn(t, st, 5, 4, 2), deleteTxn(t, st, 5, 4, 3))
	// and two of other rows of fragment 4, which are merged.
	txns = append(txns, deleteRowsTxn(t, st, 5, 4, 7), deleteRowsTxn(t, st, 5, 4, 8))
	var wg sync.WaitGroup
	errs := make([]error, len(txns))
	for i, txn := range txns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = Commit(ctx, st, txn, Options{BackoffUnit: 200 * time.Microsecond, MaxRetries: 100})
		}()
	}
	wg.Wait()
	for _, i := range []int{0, 1, 2, 3, 6, 7} {
		if errs[i] != nil {
			t.Errorf("delete %d: %v", i, errs[i])
		}
	}
	var ce *ConflictError
	a, b := errs[4], errs[5]
	if (a == nil) == (b == nil) || !(errors.As(a, &ce) || errors.As(b, &ce)) || !ce.Retryable {
		t.Fatalf("same-fragment deletes: %v / %v, want exactly one retryable conflict", a, b)
	}
	won := uint64(2)
	if b == nil {
		won = 3
	}
	m := verifyTable(t, st, nil)
	if m.Version != 12 {
		t.Fatalf("latest version %d, want 12", m.Version)
	}
	if n, _ := m.NumRows(); n != 50-(1+2+3+4)-won-2 {
		t.Fatalf("%d rows left", n)
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
