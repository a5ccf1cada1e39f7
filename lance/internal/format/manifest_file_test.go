package format

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

func sampleManifest() (*pb.Manifest, *pb.IndexSection) {
	m := &pb.Manifest{
		Fields: []*pb.Field{
			{Name: "id", Id: 0, ParentId: -1, LogicalType: "string", Nullable: true},
			{Name: "vec", Id: 1, ParentId: -1, LogicalType: "fixed_size_list:float:8", Nullable: true},
		},
		Fragments: []*pb.DataFragment{{
			Id: 0, PhysicalRows: 10,
			Files:        []*pb.DataFile{{Path: "a.lance", Fields: []int32{0, 1}, ColumnIndices: []int32{0, 1}, FileMajorVersion: 2}},
			DeletionFile: &pb.DeletionFile{ReadVersion: 1, Id: 42, NumDeletedRows: 2},
		}},
		Version:            2,
		Timestamp:          timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)),
		ReaderFeatureFlags: 1,
		WriterFeatureFlags: 1,
		MaxFragmentId:      proto.Uint32(0),
		DataFormat:         &pb.Manifest_DataStorageFormat{FileFormat: "lance", Version: "2.0"},
	}
	bm := []byte{0x3a, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0} // {0}
	idx := &pb.IndexSection{Indices: []*pb.IndexMetadata{{
		Uuid: &pb.UUID{Uuid: make([]byte, 16)}, Fields: []int32{0}, Name: "id_idx", DatasetVersion: 1,
		FragmentBitmap: bm, IndexDetails: &anypb.Any{TypeUrl: "/lance.table.BTreeIndexDetails"},
	}}}
	return m, idx
}

func TestManifestFileRoundTrip(t *testing.T) {
	for _, withIdx := range []bool{false, true} {
		for _, txn := range [][]byte{nil, {1, 2, 3}} {
			m, idx := sampleManifest()
			if !withIdx {
				idx = nil
			}
			b, err := EncodeManifestFile(m, idx, txn)
			if err != nil {
				t.Fatal(err)
			}
			if withIdx && m.GetIndexSection() != 0 {
				t.Errorf("index section at %d, Lance writes it first", m.GetIndexSection())
			}
			mf, err := DecodeManifestFile("x.manifest", b)
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(mf.Manifest, m) || !proto.Equal(mf.Indexes, idx) || string(mf.Transaction) != string(txn) {
				t.Errorf("round trip (idx=%v txn=%v) differs", withIdx, txn)
			}
			pm, err := ParseManifest("_versions/2.manifest", "", b)
			if err != nil {
				t.Fatal(err)
			}
			if n, ok := pm.NumRows(); !ok || n != 8 {
				t.Errorf("rows %d %v", n, ok)
			}
			ts, ok, err := ManifestTimestamp("x", b)
			if err != nil || !ok || !ts.Equal(m.Timestamp.AsTime()) {
				t.Errorf("timestamp %v %v %v", ts, ok, err)
			}
		}
	}
}

// Re-encoding every fixture manifest must reproduce Lance's bytes and the
// decoded messages.
func TestFixtureManifestsReencode(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/_versions/*.manifest")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mf, err := DecodeManifestFile(f, data)
		if err != nil {
			t.Fatal(err)
		}
		m := proto.Clone(mf.Manifest).(*pb.Manifest)
		b, err := EncodeManifestFile(m, mf.Indexes, mf.Transaction)
		if err != nil {
			t.Fatal(err)
		}
		// Same bytes as Lance wrote, except the tail's minor version (0.19
		// stamped 0.1; newer Lance and this package 0.2).
		if len(b) != len(data) || !bytes.Equal(b[:len(b)-6], data[:len(data)-6]) || !bytes.Equal(b[len(b)-4:], data[len(data)-4:]) {
			t.Errorf("%s: re-encoding differs from the bytes Lance wrote", f)
		}
		again, err := DecodeManifestFile(f, b)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(again.Manifest, mf.Manifest) || !proto.Equal(again.Indexes, mf.Indexes) || string(again.Transaction) != string(mf.Transaction) {
			t.Errorf("%s: re-encoded manifest differs", f)
		}
	}
}

func TestManifestFileCorrupt(t *testing.T) {
	m, idx := sampleManifest()
	good, err := EncodeManifestFile(m, idx, []byte{9})
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	tail := len(good) - 16
	for name, b := range map[string][]byte{
		"empty":     nil,
		"short":     good[:10],
		"magic":     mutate(func(b []byte) []byte { b[len(b)-1] = 'X'; return b }),
		"truncated": good[1:],
		"pos":       mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[tail:], 1<<40); return b }),
		"negpos":    mutate(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[tail:], ^uint64(0)); return b }),
		"length": mutate(func(b []byte) []byte {
			pos := binary.LittleEndian.Uint64(b[tail:])
			binary.LittleEndian.PutUint32(b[pos:], 7)
			return b
		}),
		"indexlen": mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[0:], 1<<30); return b }),
	} {
		_, err := DecodeManifestFile("_versions/9.manifest", b)
		if !errors.Is(err, lanceerr.ErrCorrupt) || !strings.Contains(err.Error(), "_versions/9.manifest") {
			t.Errorf("%s: %v, want ErrCorrupt naming the file", name, err)
		}
	}
}

func TestManifestFeatureFlags(t *testing.T) {
	for _, tc := range []struct {
		reader, writer uint64
		readErr        string // substring; "" = readable
		readOnly       bool
	}{
		{reader: 1, writer: 1},
		{reader: 0, writer: 8 | 32 | 4},
		{reader: 2, writer: 2, readOnly: true},
		{reader: 64, writer: 64, readErr: "FLAG_UNSTABLE_DATA_OVERLAY_FILES"},
		{reader: 1 | 256, writer: 256, readErr: "256 = FLAG_MIXED_DATA_FILE_VERSIONS"},
		{reader: 2048, readErr: "FLAG_MANAGED_BLOBS"},
		{reader: 4096, readErr: "4096 (not defined"},
		{reader: 0, writer: 128, readOnly: true},
	} {
		m, _ := sampleManifest()
		m.ReaderFeatureFlags, m.WriterFeatureFlags = tc.reader, tc.writer
		b, err := EncodeManifestFile(m, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		pm, err := ParseManifest("_versions/2.manifest", "", b)
		if tc.readErr != "" {
			if !errors.Is(err, lanceerr.ErrUnsupported) || !strings.Contains(err.Error(), tc.readErr) {
				t.Errorf("flags %d: %v, want ErrUnsupported mentioning %q", tc.reader, err, tc.readErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("flags %d/%d: %v", tc.reader, tc.writer, err)
			continue
		}
		ro := pm.ReadOnlyReason()
		if (ro != nil) != tc.readOnly || (ro != nil && !errors.Is(ro, lanceerr.ErrReadOnly)) {
			t.Errorf("flags %d/%d: read-only reason %v", tc.reader, tc.writer, ro)
		}
	}
}

func TestManifestBasePaths(t *testing.T) {
	m, _ := sampleManifest()
	m.ReaderFeatureFlags |= FlagBasePaths
	m.BasePaths = []*pb.BasePath{{Id: 1, IsDatasetRoot: true, Path: "file:///data/t.lance"}}
	m.Fragments[0].Files[0].BaseId = proto.Uint32(1)
	b, err := EncodeManifestFile(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := ParseManifest("_versions/2.manifest", "/data/t.lance", b)
	if err != nil {
		t.Fatalf("trivial base path: %v", err)
	}
	if pm.Fragments[0].Files[0].Path != "data/a.lance" || pm.ReadOnlyReason() == nil {
		t.Errorf("path %q, read-only %v", pm.Fragments[0].Files[0].Path, pm.ReadOnlyReason())
	}
	if _, err := ParseManifest("_versions/2.manifest", "/elsewhere", b); !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Errorf("foreign base path: %v, want ErrUnsupported", err)
	}
}

func TestDataStorageVersionInferred(t *testing.T) {
	for _, tc := range []struct {
		major, minor uint32
		want         string
	}{{0, 0, "0.1"}, {0, 2, "0.1"}, {0, 3, "2.0"}, {2, 0, "2.0"}, {2, 1, "2.1"}, {2, 2, "2.2"}} {
		m, _ := sampleManifest()
		m.DataFormat = nil
		m.Fragments[0].Files[0].FileMajorVersion, m.Fragments[0].Files[0].FileMinorVersion = tc.major, tc.minor
		b, _ := EncodeManifestFile(m, nil, nil)
		pm, err := ParseManifest("_versions/2.manifest", "", b)
		if err != nil {
			t.Fatal(err)
		}
		if pm.DataStorageVersion != tc.want {
			t.Errorf("%d.%d: %q, want %q", tc.major, tc.minor, pm.DataStorageVersion, tc.want)
		}
	}
}

func TestFieldColumn(t *testing.T) {
	df := &DataFile{Fields: []int32{0, 3, 4, 5}, ColumnIndices: []int32{0, 1, -1, 2}}
	for id, want := range map[int32]int{0: 0, 3: 1, 5: 2} {
		if got, ok := FieldColumn(df, id); !ok || got != want {
			t.Errorf("field %d: %d %v", id, got, ok)
		}
	}
	for _, id := range []int32{4, 9} {
		if _, ok := FieldColumn(df, id); ok {
			t.Errorf("field %d should have no column", id)
		}
	}
	legacy := &DataFile{Fields: []int32{2, 7}}
	if got, ok := FieldColumn(legacy, 7); !ok || got != 1 {
		t.Errorf("legacy: %d %v", got, ok)
	}
}

func TestIndexTypeFromURL(t *testing.T) {
	for url, want := range map[string]string{
		"/lance.table.BTreeIndexDetails":                          "btree",
		"/lance.index.pb.VectorIndexDetails":                      "vector",
		"/lance.table.VectorIndexDetails":                         "vector",
		"type.googleapis.com/lance.index.pb.InvertedIndexDetails": "inverted",
		"/lance.table.FragmentReuseIndexDetails":                  "frag_reuse",
		"/lance.table.ZoneMapIndexDetails":                        "zonemap",
		"/x.Whatever":                                             "unknown: /x.Whatever",
		"":                                                        "",
	} {
		if got := IndexTypeFromURL(url); got != want {
			t.Errorf("%q -> %q, want %q", url, got, want)
		}
	}
}

// Every byte of a LanceDB manifest (with indexes and an inline
// transaction) set to stressing values: a manifest or a typed error,
// never a panic.
func TestManifestMutations(t *testing.T) {
	src, err := os.ReadFile("testdata/v39/_versions/" + SchemeV2.ManifestName(13))
	if err != nil {
		t.Fatal(err)
	}
	for i := range src {
		for _, v := range []byte{0x00, 0xff, 0x7f, src[i] ^ 1} {
			b := append([]byte(nil), src...)
			b[i] = v
			_, err := ParseManifest("m", "/root", b)
			if err != nil && !errors.Is(err, lanceerr.ErrCorrupt) && !errors.Is(err, lanceerr.ErrUnsupported) {
				t.Fatalf("byte %d = %#x: %v", i, v, err)
			}
		}
	}
}

func TestManifestReadOnlyCases(t *testing.T) {
	parse := func(m *pb.Manifest, idx *pb.IndexSection) (*Manifest, error) {
		b, err := EncodeManifestFile(m, idx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ParseManifest("_versions/2.manifest", "", b)
	}
	m, idx := sampleManifest()
	idx.Indices[0].IndexDetails.TypeUrl = "/lance.table.FancyNewIndexDetails"
	pm, err := parse(m, idx)
	if err != nil || !errors.Is(pm.ReadOnlyReason(), lanceerr.ErrReadOnly) {
		t.Errorf("unknown index type: %v, read-only %v", err, pm.ReadOnlyReason())
	}
	m, idx = sampleManifest()
	m.DataFormat.Version = "2.3"
	pm, err = parse(m, idx)
	if err != nil || !errors.Is(pm.ReadOnlyReason(), lanceerr.ErrReadOnly) {
		t.Errorf("storage 2.3: %v, read-only %v", err, pm.ReadOnlyReason())
	}
	m, idx = sampleManifest()
	m.Version = 3
	if _, err := parse(m, idx); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("version 3 in 2.manifest: %v", err)
	}
	m, idx = sampleManifest()
	m.Fragments = append(m.Fragments, m.Fragments[0])
	if _, err := parse(m, idx); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("duplicate fragment: %v", err)
	}
	m, idx = sampleManifest()
	m.Fragments[0].DeletionFile.NumDeletedRows = 11
	if _, err := parse(m, idx); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("more deleted than physical rows: %v", err)
	}
	m, idx = sampleManifest()
	idx.Indices[0].Uuid.Uuid = []byte{1, 2}
	if _, err := parse(m, idx); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("short uuid: %v", err)
	}
}
