package maintenance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// StatsOptions tune Stats.
type StatsOptions struct {
	// Compact decides which fragments count as small (fewer physical rows
	// than its target) and what compaction would plan.
	Compact CompactOptions
	// Cleanup, when it has a rule (Before or RetainVersions), makes Stats
	// report what CleanupOldVersions with the same options would remove.
	Cleanup CleanupOptions
}

// RowStats count rows of the latest version.
type RowStats struct {
	Live, Physical, Deleted uint64
}

// FragmentStats describe the fragments of the latest version.
type FragmentStats struct {
	Count int
	// Small counts fragments with fewer physical rows than the target.
	Small int
	// WithDeletions counts fragments that have a deletion file.
	WithDeletions int
	// LiveRows are percentiles of live rows per fragment: 0 (min), 25, 50,
	// 75 and 100 (max).
	LiveRows [5]uint64
	// DataBytes are the same percentiles of data bytes per fragment.
	DataBytes [5]uint64
}

// VersionStats describe the version history.
type VersionStats struct {
	Count          int
	Oldest, Newest uint64
	// OldestTime and NewestTime are commit timestamps.
	OldestTime, NewestTime time.Time
}

// IndexStats describe one logical index (all segments sharing a name).
type IndexStats struct {
	Name string
	Type string
	// Fields are the names of the indexed columns.
	Fields   []string
	Segments int
	// IndexedFragments and IndexedRows count current fragments (and their
	// live rows) some segment covers; UnindexedRows are the live rows of
	// fragments none covers.
	IndexedFragments   int
	UnindexedFragments int
	IndexedRows        uint64
	UnindexedRows      uint64
}

// StaleFraction is unindexed / (indexed + unindexed) live rows.
func (s *IndexStats) StaleFraction() float64 {
	if s.IndexedRows+s.UnindexedRows == 0 {
		return 0
	}
	return float64(s.UnindexedRows) / float64(s.IndexedRows+s.UnindexedRows)
}

// TableStats are the statistics of a table.
type TableStats struct {
	Version            uint64
	DataStorageVersion string
	Rows               RowStats
	Fragments          FragmentStats
	Versions           VersionStats
	// Disk counts every file below the dataset root by kind.
	Disk ByKind
	// Cleanup is what CleanupOldVersions with StatsOptions.Cleanup would
	// remove (nil when no cleanup rule was given); its BytesRemoved is the
	// space cleanup reclaims.
	Cleanup *CleanupStats
	// CompactionReclaimableBytes estimates the data bytes held by deleted
	// rows: each fragment's data bytes times its deleted share. Compaction
	// rewrites them away; cleanup then frees the old files.
	CompactionReclaimableBytes uint64
	// CompactionBins and CompactionFragments say what Compact would
	// rewrite with StatsOptions.Compact.
	CompactionBins      int
	CompactionFragments int
	Indexes             []IndexStats
}

// Stats computes the statistics of the latest version of a table.
func Stats(ctx context.Context, store storage.Store, opts StatsOptions) (*TableStats, error) {
	m, err := format.LoadManifest(ctx, store, 0)
	if err != nil {
		return nil, err
	}
	ts := &TableStats{Version: m.Version, DataStorageVersion: m.DataStorageVersion}
	metrics, err := CollectMetrics(ctx, store, m)
	if err != nil {
		return nil, err
	}
	target := opts.Compact.target()
	live := make([]uint64, len(metrics))
	dataBytes := make([]uint64, len(metrics))
	var reclaim float64
	for i, fm := range metrics {
		fr := &m.Fragments[i]
		ts.Rows.Physical += fm.PhysicalRows
		ts.Rows.Deleted += fm.DeletedRows
		ts.Rows.Live += fm.LiveRows()
		live[i] = fm.LiveRows()
		if fm.PhysicalRows < target {
			ts.Fragments.Small++
		}
		if fr.Deletion != nil {
			ts.Fragments.WithDeletions++
		}
		for _, df := range fr.Files {
			size := df.SizeBytes
			if size == 0 {
				fi, err := store.Stat(ctx, df.Path)
				if err != nil {
					return nil, fmt.Errorf("maintenance: stats: fragment %d: %w", fr.ID, err)
				}
				size = uint64(fi.Size)
			}
			dataBytes[i] += size
		}
		reclaim += float64(dataBytes[i]) * fm.DeletedShare()
	}
	ts.Fragments.Count = len(metrics)
	ts.Fragments.LiveRows = percentiles(live)
	ts.Fragments.DataBytes = percentiles(dataBytes)
	ts.CompactionReclaimableBytes = uint64(math.Round(reclaim))
	bins := PlanBins(metrics, opts.Compact)
	ts.CompactionBins = len(bins)
	for _, b := range bins {
		ts.CompactionFragments += len(b.Fragments)
	}

	versions, err := format.ListVersions(ctx, store)
	if err != nil {
		return nil, err
	}
	ts.Versions = VersionStats{
		Count:  len(versions),
		Oldest: versions[0].Version, OldestTime: versions[0].Timestamp,
		Newest: versions[len(versions)-1].Version, NewestTime: versions[len(versions)-1].Timestamp,
	}

	if err := walkAll(ctx, store, func(p string, fi storage.FileInfo) {
		ts.Disk.add(classify(p), uint64(fi.Size))
	}); err != nil {
		return nil, err
	}

	if ts.Indexes, err = indexStats(ctx, store, m, metrics); err != nil {
		return nil, err
	}

	if !opts.Cleanup.Before.IsZero() || opts.Cleanup.RetainVersions > 0 {
		c := opts.Cleanup
		c.DryRun = true
		if ts.Cleanup, err = planCleanup(ctx, store, c); err != nil {
			return nil, err
		}
		ts.Cleanup.DryRun = true
	}
	return ts, nil
}

// percentiles returns the 0, 25, 50, 75 and 100th percentiles (nearest
// rank) of vs, zeros when empty.
func percentiles(vs []uint64) [5]uint64 {
	var out [5]uint64
	if len(vs) == 0 {
		return out
	}
	s := append([]uint64(nil), vs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	for k, p := range []float64{0, 25, 50, 75, 100} {
		r := int(math.Ceil(p / 100 * float64(len(s))))
		out[k] = s[max(r-1, 0)]
	}
	return out
}

// indexStats groups segments by name and counts covered fragments and rows.
func indexStats(ctx context.Context, store storage.Store, m *format.Manifest, metrics []FragmentMetrics) ([]IndexStats, error) {
	byName := map[string]*IndexStats{}
	covered := map[string]*roaring.Bitmap{}
	var names []string
	for i := range m.Indexes {
		ix := &m.Indexes[i]
		s := byName[ix.Name]
		if s == nil {
			typ, err := format.InferIndexType(ctx, store, m, ix)
			if err != nil && !errors.Is(err, lanceerr.ErrNotFound) {
				return nil, err
			}
			s = &IndexStats{Name: ix.Name, Type: typ}
			for _, id := range ix.Fields {
				if f, ok := m.Schema.FieldByID(id); ok {
					s.Fields = append(s.Fields, f.Name)
				}
			}
			byName[ix.Name] = s
			covered[ix.Name] = roaring.New()
			names = append(names, ix.Name)
		}
		s.Segments++
		if ix.Fragments != nil {
			covered[ix.Name].Or(ix.Fragments)
		} else {
			// No recorded bitmap: treated as covering everything, as
			// planning does.
			for _, fm := range metrics {
				covered[ix.Name].Add(uint32(fm.ID))
			}
		}
	}
	out := make([]IndexStats, 0, len(names))
	for _, name := range names {
		s := byName[name]
		bm := covered[name]
		for _, fm := range metrics {
			if fm.ID <= math.MaxUint32 && bm.Contains(uint32(fm.ID)) {
				s.IndexedFragments++
				s.IndexedRows += fm.LiveRows()
			} else {
				s.UnindexedFragments++
				s.UnindexedRows += fm.LiveRows()
			}
		}
		out = append(out, *s)
	}
	return out, nil
}

// walkAll calls fn for every file below the dataset root.
func walkAll(ctx context.Context, store storage.Store, fn func(string, storage.FileInfo)) error {
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := store.List(ctx, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p := e.Name
			if dir != "" {
				p = dir + "/" + e.Name
			}
			if e.IsDir {
				if depth < 8 {
					if err := walk(p, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			fn(p, e)
		}
		return nil
	}
	return walk("", 0)
}
