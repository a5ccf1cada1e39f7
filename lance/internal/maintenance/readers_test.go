package maintenance_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/maintenance"
)

// batchOf builds a record batch with rows [start, start+n).
func batchOf(start, n int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, testSchema)
	defer b.Release()
	for id := start; id < start+n; id++ {
		r := rowFor(id)
		b.Field(0).(*array.Int64Builder).Append(r.ID)
		b.Field(1).(*array.StringBuilder).Append(r.Text)
		vb := b.Field(2).(*array.FixedSizeListBuilder)
		vb.Append(true)
		vb.ValueBuilder().(*array.Float32Builder).AppendValues(r.Vector[:], nil)
	}
	return b.NewRecordBatch()
}

// versionLog records, for each version committed during the test, a time
// taken before its commit started (so no later than the manifest's
// timestamp) and, for appends, the rows the table then holds.
type versionLog struct {
	mu      sync.Mutex
	started map[uint64]time.Time
	rows    map[uint64]int64 // appends only
}

// addIfAbsent records a version whose commit the writer could not see
// (an append that landed but reported an error, which the test fails).
func (l *versionLog) addIfAbsent(v uint64, started time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.started[v]; !ok {
		l.started[v] = started
	}
}

func (l *versionLog) add(v uint64, started time.Time, rows int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.started[v] = started
	if rows >= 0 {
		l.rows[v] = rows
	}
}

// openLatest opens the latest version, trying again while the version it
// picked is removed by a concurrent cleanup before its manifest is read.
// It returns how many attempts raced with cleanup.
func openLatest(ctx context.Context, dir string) (*lance.Dataset, int, error) {
	for races := 0; ; races++ {
		ds, err := lance.Open(ctx, dir)
		if !errors.Is(err, lance.ErrNotFound) || races == 100 {
			return ds, races, err
		}
	}
}

// readerOp is one failed or checked reader operation.
type readerOp struct {
	version uint64
	op      string
	at      time.Time
	err     error
}

// readerStats gathers what the readers saw.
type readerStats struct {
	mu          sync.Mutex
	opens       int
	openMissing int // Open of the latest version raced with cleanup
	ops         int
	seen        map[uint64]int64 // version → row count a reader saw
	wrong       []readerOp       // wrong results: never allowed
	failed      []readerOp       // errors on a version already open
}

func (s *readerStats) record(f func(s *readerStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// readVersion runs reads on ds until hold has passed, checking each
// against the version's manifest: the live row count, the exact id set
// and content, and a nearest-neighbour search for a known row.
func readVersion(ctx context.Context, ds *lance.Dataset, hold time.Duration, rng *rand.Rand, st *readerStats) {
	v := ds.Version()
	var live int64
	for _, f := range ds.Fragments() {
		live += int64(f.PhysicalRows - f.DeletedRows)
	}
	st.record(func(s *readerStats) { s.seen[v] = live })
	fail := func(op string, err error) {
		st.record(func(s *readerStats) { s.failed = append(s.failed, readerOp{v, op, time.Now(), err}) })
	}
	wrong := func(op string, format string, args ...any) {
		st.record(func(s *readerStats) {
			s.wrong = append(s.wrong, readerOp{v, op, time.Now(), fmt.Errorf(format, args...)})
		})
	}
	deadline := time.Now().Add(hold)
	for first := true; first || time.Now().Before(deadline); first = false {
		// Readers pause between reads, as a user would: an open version
		// may be read long after it stopped being the latest.
		time.Sleep(time.Duration(rng.Int64N(int64(5 * time.Millisecond))))
		st.record(func(s *readerStats) { s.ops += 3 })
		n, err := ds.CountRows(ctx)
		if err != nil {
			fail("count", err)
			return
		}
		if n != live {
			wrong("count", "CountRows %d, manifest has %d live rows", n, live)
			return
		}
		var ids []int64
		scanErr := error(nil)
		for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{"id", "text"}}) {
			if err != nil {
				scanErr = err
				break
			}
			idc := rec.Column(0).(*array.Int64)
			txt := rec.Column(1).(*array.String)
			for i := 0; i < idc.Len(); i++ {
				if txt.Value(i) != rowFor(idc.Value(i)).Text {
					wrong("scan", "row %d has text %q", idc.Value(i), txt.Value(i))
					return
				}
				ids = append(ids, idc.Value(i))
			}
		}
		if scanErr != nil {
			fail("scan", scanErr)
			return
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		if int64(len(ids)) != live {
			wrong("scan", "scan returned %d rows, manifest has %d", len(ids), live)
			return
		}
		for i, id := range ids {
			if id != int64(i) {
				wrong("scan", "row %d of the sorted scan has id %d", i, id)
				return
			}
		}
		q := rng.Int64N(live)
		want := rowFor(q)
		res, err := ds.Search(ctx, lance.SearchOptions{Query: want.Vector[:], K: 1, Columns: []string{"id"}})
		if err != nil {
			fail("search", err)
			return
		}
		got := res.Column(0).(*array.Int64)
		if res.NumRows() != 1 || got.Value(0) != q {
			wrong("search", "nearest to row %d: %d rows, first id %d", q, res.NumRows(), got.Value(0))
		}
		res.Release()
	}
}

// TestReadersDuringMaintenance runs readers against a table while a
// writer appends and a maintenance loop compacts and cleans up, with the
// settings a user would pick (DeleteUnverified false).
//
// The contract it checks, the same as Lance's: cleanup removes versions
// whose commit time is older than its cutoff and the files only they
// name, whether or not a reader still has such a version open. So
//   - a reader never gets wrong rows, whatever happens;
//   - Open of the latest version may race with a cleanup that removes the
//     version it had chosen (ErrNotFound; opening the latest again works);
//   - operations on an open version committed within the retention window
//     of every cleanup that ran meanwhile never fail;
//   - a reader still using a version older than the retention window can
//     find its files removed (ErrNotFound). With retention 0 that is any
//     version no longer the latest: the subtest "retention-0" expects such
//     losses and checks that nothing else goes wrong.
func TestReadersDuringMaintenance(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for seconds")
	}
	for _, tc := range []struct {
		name   string
		window time.Duration
	}{
		{"retention-0", 0},
		{"retention-1s", time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) { readersDuringMaintenance(t, tc.window) })
	}
}

func readersDuringMaintenance(t *testing.T, window time.Duration) {
	const (
		readers  = 4
		runFor   = 2500 * time.Millisecond
		maxHold  = 60 * time.Millisecond
		perBatch = 3
	)
	ctx := context.Background()
	created := time.Now()
	tb := newTable(t, format.SchemeV2, 10)
	log := &versionLog{started: map[uint64]time.Time{1: created}, rows: map[uint64]int64{1: 10}}
	st := &readerStats{seen: map[uint64]int64{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bgMu sync.Mutex
	var bgErr []error
	bgFail := func(err error) {
		bgMu.Lock()
		defer bgMu.Unlock()
		bgErr = append(bgErr, err)
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}

	var appends, appendRetries, compactions, cleanups, versionsRemoved, filesRemoved int
	var landedErrs []error
	var openRaces atomic.Int64
	wg.Add(1)
	go func() { // writer
		defer wg.Done()
		rows := int64(10)
		last := uint64(1) // the writer's latest append
		for !stopped() {
			d, races, err := openLatest(ctx, tb.dir)
			openRaces.Add(int64(races))
			if err != nil {
				bgFail(fmt.Errorf("writer: %w", err))
				return
			}
			started := time.Now()
			nd, err := d.Append(ctx, []arrow.RecordBatch{batchOf(rows, perBatch)})
			d.Close()
			if err == nil {
				rows += perBatch
				last = nd.Version()
				log.add(last, started, rows)
				nd.Close()
				appends++
				continue
			}
			// Find out from the table whether the append landed: the
			// writer is the only one adding rows.
			cur, races, oerr := openLatest(ctx, tb.dir)
			openRaces.Add(int64(races))
			if oerr != nil {
				bgFail(fmt.Errorf("writer: %w", oerr))
				return
			}
			n, cerr := cur.CountRows(ctx)
			latest := cur.Version()
			cur.Close()
			switch {
			case cerr != nil:
				bgFail(fmt.Errorf("writer: count after a failed append: %w", cerr))
				return
			case n == rows && errors.Is(err, lance.ErrCommitConflict):
				// Cleanup removed versions between the append's read
				// version and the latest, so the commit could not check
				// them for conflicts and refused; retried on the latest.
				appendRetries++
			case n == rows+perBatch:
				// The commit landed but Append reported an error: a caller
				// retrying it would add the rows twice. Reported below;
				// the bookkeeping goes on so the rest is still checked.
				rows += perBatch
				landedErrs = append(landedErrs, err)
				for v := last + 1; v <= latest; v++ {
					log.addIfAbsent(v, started)
				}
				last = latest
				appends++
			default:
				bgFail(fmt.Errorf("append of rows [%d, %d) failed (%w) and the table has %d rows", rows, rows+perBatch, err, n))
				return
			}
		}
	}()
	wg.Add(1)
	go func() { // maintenance
		defer wg.Done()
		for !stopped() {
			started := time.Now()
			met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{})
			switch {
			case errors.Is(err, lanceerr.ErrCommitConflict):
			case err != nil:
				bgFail(fmt.Errorf("compact: %w", err))
				return
			case met.Version != 0:
				log.add(met.Version, started, -1)
				compactions++
			}
			res, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{
				Before: time.Now().Add(-window),
			})
			if err != nil {
				bgFail(fmt.Errorf("cleanup: %w", err))
				return
			}
			cleanups++
			versionsRemoved += len(res.VersionsRemoved)
			filesRemoved += res.ByKind[maintenance.KindData].Files
			time.Sleep(5 * time.Millisecond)
		}
	}()
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(r), uint64(time.Now().UnixNano())))
			for !stopped() {
				ds, races, err := openLatest(ctx, tb.dir)
				st.record(func(s *readerStats) { s.openMissing += races })
				if err != nil {
					bgFail(fmt.Errorf("open latest: %w", err))
					return
				}
				st.record(func(s *readerStats) { s.opens++ })
				readVersion(ctx, ds, time.Duration(rng.Int64N(int64(maxHold))), rng, st)
				ds.Close()
			}
		}()
	}
	time.Sleep(runFor)
	close(stop)
	wg.Wait()
	for _, err := range bgErr {
		t.Error(err)
	}

	for _, w := range st.wrong {
		t.Errorf("version %d: %s returned a wrong result: %v", w.version, w.op, w.err)
	}
	// Every version readers saw holds the rows of the appends before it:
	// exactly the writer's count for its own versions, and never fewer
	// rows in a later version.
	var seenVersions []uint64
	for v, n := range st.seen {
		seenVersions = append(seenVersions, v)
		if want, ok := log.rows[v]; ok && n != want {
			t.Errorf("version %d: readers saw %d live rows, the writer committed %d", v, n, want)
		}
		if (n-10)%perBatch != 0 {
			t.Errorf("version %d: readers saw %d live rows, not a whole number of appends", v, n)
		}
	}
	sort.Slice(seenVersions, func(i, j int) bool { return seenVersions[i] < seenVersions[j] })
	for i := 1; i < len(seenVersions); i++ {
		if a, b := seenVersions[i-1], seenVersions[i]; st.seen[a] > st.seen[b] {
			t.Errorf("version %d has %d rows, the later version %d only %d", a, st.seen[a], b, st.seen[b])
		}
	}
	for _, err := range landedErrs {
		// A landed commit is durable even when a compaction plus a cleanup
		// removed its version before Append returned, so it must succeed.
		t.Errorf("append landed but returned an error (a retry would duplicate its rows): %v", err)
	}
	lost := 0
	for _, f := range st.failed {
		started, ok := log.started[f.version]
		switch {
		case !errors.Is(f.err, lance.ErrNotFound):
			t.Errorf("version %d: %s failed: %v", f.version, f.op, f.err)
		case !ok:
			t.Errorf("version %d (not recorded): %s failed: %v", f.version, f.op, f.err)
		case !started.Before(f.at.Add(-window)):
			t.Errorf("version %d committed %v before the failure, within the %v retention window: %s failed: %v",
				f.version, f.at.Sub(started), window, f.op, f.err)
		default:
			lost++
		}
	}
	if appends == 0 || compactions == 0 || versionsRemoved == 0 || st.opens == 0 {
		t.Fatalf("the test did not exercise anything: %d appends, %d compactions, %d versions removed, %d opens",
			appends, compactions, versionsRemoved, st.opens)
	}
	t.Logf("window %v: %d appends (%d retried after a conflict with cleanup, %d landed but reported an error, %d writer opens raced with cleanup), %d compactions, %d cleanups removing %d versions and %d data files; "+
		"%d readers: %d opens of %d distinct versions, %d read operations, %d opens that raced with cleanup (ErrNotFound, retried), "+
		"%d operations on an open version expired by cleanup (ErrNotFound), 0 wrong results",
		window, appends, appendRetries, len(landedErrs), openRaces.Load(), compactions, cleanups, versionsRemoved, filesRemoved,
		readers, st.opens, len(st.seen), st.ops, st.openMissing, lost)
	checkRows(t, tb.dir, 0, idsWhere(10+int64(appends)*perBatch, all))
}

// A reader keeps a version open while a compaction replaces its fragments
// and a cleanup runs. A cleanup whose cutoff is before the version's
// commit never touches its files; one with no retention removes them, and
// the reader's next read of a file it had not opened yet fails with
// ErrNotFound, as in Lance.
func TestCleanupAndOpenOldVersion(t *testing.T) {
	ctx := context.Background()
	for _, within := range []bool{true, false} {
		tb := newFragmented(t, format.SchemeV2, 30)
		committed := tb.latest().Timestamp
		ds, err := lance.Open(ctx, tb.dir)
		if err != nil {
			t.Fatal(err)
		}
		v := ds.Version()
		tb.appendRows(30, 5)
		if _, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{}); err != nil {
			t.Fatal(err)
		}
		cutoff := time.Now()
		if within {
			cutoff = committed.Add(-time.Millisecond)
		}
		res, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: cutoff})
		if err != nil {
			t.Fatal(err)
		}
		var ids int
		var scanErr error
		for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{"id"}}) {
			if err != nil {
				scanErr = err
				break
			}
			ids += int(rec.NumRows())
		}
		switch {
		case within && (scanErr != nil || ids != 30):
			t.Errorf("version %d within retention: scan read %d rows, err %v", v, ids, scanErr)
		case within && slices.Contains(res.VersionsRemoved, v):
			t.Errorf("cleanup with a cutoff before version %d removed it: %v", v, res.VersionsRemoved)
		case !within && !errors.Is(scanErr, lance.ErrNotFound):
			t.Errorf("version %d removed by cleanup (%v): scan read %d rows, err %v; want ErrNotFound", v, res.VersionsRemoved, ids, scanErr)
		}
		ds.Close()
		checkRows(t, tb.dir, 0, idsWhere(35, all))
	}
}
