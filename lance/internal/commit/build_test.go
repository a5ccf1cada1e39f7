package commit

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

// baseManifest builds an in-memory manifest with fragments of the given
// ids (2.0 files) and indexes.
func baseManifest(t *testing.T, ids []uint64, indexes ...*pb.IndexMetadata) *format.Manifest {
	t.Helper()
	m := &pb.Manifest{
		Fields:     []*pb.Field{{Name: "id", Id: 0, ParentId: -1, LogicalType: "int64", Nullable: true}, {Name: "v", Id: 1, ParentId: -1, LogicalType: "fixed_size_list:float:2", Nullable: true}},
		Version:    4,
		DataFormat: &pb.Manifest_DataStorageFormat{FileFormat: "lance", Version: "2.0"},
	}
	for _, id := range ids {
		m.Fragments = append(m.Fragments, dataFrag(id, "f"+uuid.NewString()))
	}
	var sec *pb.IndexSection
	if len(indexes) > 0 {
		sec = &pb.IndexSection{Indices: indexes}
	}
	data, err := format.EncodeManifestFile(m, sec, nil)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := format.ParseManifest("_versions/4.manifest", "", data)
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

func dataFrag(id uint64, path string) *pb.DataFragment {
	return &pb.DataFragment{Id: id, PhysicalRows: 10, Files: []*pb.DataFile{{Path: path, Fields: []int32{0, 1}, ColumnIndices: []int32{0, 1}, FileMajorVersion: 2}}}
}

func fragIDs(m *pb.Manifest) []uint64 {
	var out []uint64
	for _, f := range m.Fragments {
		out = append(out, f.Id)
	}
	return out
}

func equalIDs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func indexMeta(name string, fields []int32, details string, frags ...uint32) *pb.IndexMetadata {
	ix := &pb.IndexMetadata{Uuid: uuidPB(uuid.New()), Name: name, Fields: fields, FragmentBitmap: encodeBitmap(bitmapOf(frags...)), DatasetVersion: 2}
	if details != "" {
		ix.IndexDetails = &anyMsg{TypeUrl: "/lance.table." + details}
	}
	return ix
}

func bitmapIDs(t *testing.T, ix *pb.IndexMetadata) []uint64 {
	bm, err := decodeBitmap(ix.FragmentBitmap)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, v := range bm.ToArray() {
		out = append(out, uint64(v))
	}
	return out
}

func TestBuildAppendAssignsIDs(t *testing.T) {
	base := baseManifest(t, []uint64{0, 1, 5})
	got, err := Build(&Transaction{ReadVersion: 4, Operation: Append{Fragments: []*pb.DataFragment{dataFrag(0, "a"), dataFrag(0, "b")}}}, BuildParams{Base: base, TransactionFile: "4-x.txn"})
	if err != nil {
		t.Fatal(err)
	}
	m := got.Manifest
	if !equalIDs(fragIDs(m), []uint64{0, 1, 5, 6, 7}) || m.GetMaxFragmentId() != 7 || m.Version != 5 || m.TransactionFile != "4-x.txn" {
		t.Fatalf("ids %v max %d version %d", fragIDs(m), m.GetMaxFragmentId(), m.Version)
	}
	if m.WriterVersion.GetLibrary() != WriterLibrary || m.DataFormat.GetVersion() != "2.0" || m.ReaderFeatureFlags != 0 {
		t.Errorf("manifest header %v", m)
	}
}

func TestBuildOverwriteRestartsIDs(t *testing.T) {
	base := baseManifest(t, []uint64{0, 1, 9}, indexMeta("ix", []int32{0}, "BTreeIndexDetails", 0, 1))
	ow := Overwrite{Fragments: []*pb.DataFragment{dataFrag(0, "a")}, Schema: base.PB.Fields, ConfigUpsert: map[string]string{"k": "v"}}
	got, err := Build(&Transaction{ReadVersion: 4, Operation: ow}, BuildParams{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	m := got.Manifest
	if !equalIDs(fragIDs(m), []uint64{0}) || m.GetMaxFragmentId() != 9 || got.Indexes != nil {
		t.Fatalf("ids %v max %d indexes %v", fragIDs(m), m.GetMaxFragmentId(), got.Indexes)
	}
	if m.Config["k"] != "v" || m.WriterFeatureFlags != format.FlagTableConfig {
		t.Errorf("config %v flags %d", m.Config, m.WriterFeatureFlags)
	}
}

func TestBuildRewriteSwapsIndex(t *testing.T) {
	ix := indexMeta("ix", []int32{1}, "VectorIndexDetails", 1, 2)
	other := indexMeta("other", []int32{0}, "BTreeIndexDetails", 0)
	base := baseManifest(t, []uint64{0, 1, 2, 3}, ix, other)
	newID := uuid.New()
	oldID, _ := uuid.FromBytes(ix.Uuid.Uuid)
	rw := Rewrite{
		Groups: []RewriteGroup{
			{Old: []*pb.DataFragment{{Id: 1}, {Id: 2}}, New: []*pb.DataFragment{dataFrag(0, "n1")}},
			{Old: []*pb.DataFragment{{Id: 0}, {Id: 3}}, New: []*pb.DataFragment{dataFrag(0, "n2")}}, // not contiguous
		},
		RewrittenIndices: []RewrittenIndex{{OldID: oldID, NewID: newID}},
	}
	got, err := Build(&Transaction{ReadVersion: 4, Operation: rw}, BuildParams{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	if !equalIDs(fragIDs(got.Manifest), []uint64{4, 5}) {
		t.Fatalf("fragments %v", fragIDs(got.Manifest))
	}
	var swapped *pb.IndexMetadata
	for _, x := range got.Indexes.Indices {
		if x.Name == "ix" {
			swapped = x
		}
	}
	if swapped == nil || string(swapped.Uuid.Uuid) != string(newID[:]) || !equalIDs(bitmapIDs(t, swapped), []uint64{4}) {
		t.Fatalf("rewritten index %v covers %v", swapped, bitmapIDs(t, swapped))
	}
	if len(got.Indexes.Indices) != 2 || !proto.Equal(got.Indexes.Indices[1], other) {
		t.Errorf("untouched index changed: %v", got.Indexes.Indices)
	}

	// A group that splits indexed from unindexed fragments is refused.
	bad := Rewrite{Groups: []RewriteGroup{{Old: []*pb.DataFragment{{Id: 0}, {Id: 1}}, New: []*pb.DataFragment{dataFrag(0, "n")}}},
		RewrittenIndices: []RewrittenIndex{{OldID: oldID, NewID: newID}}}
	if _, err := Build(&Transaction{ReadVersion: 4, Operation: bad}, BuildParams{Base: base}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("split group: %v", err)
	}
	// A group whose fragment is gone is a conflict.
	gone := Rewrite{Groups: []RewriteGroup{{Old: []*pb.DataFragment{{Id: 8}}, New: []*pb.DataFragment{dataFrag(0, "n")}}}}
	if _, err := Build(&Transaction{ReadVersion: 4, Operation: gone}, BuildParams{Base: base}); !isConflict(err) {
		t.Errorf("missing fragment: %v", err)
	}
}

func TestBuildDeleteRetainsIndices(t *testing.T) {
	vec := indexMeta("vec", []int32{1}, "VectorIndexDetails", 1)
	scalarA := indexMeta("id", []int32{0}, "BTreeIndexDetails", 1)
	scalarB := indexMeta("id", []int32{0}, "BTreeIndexDetails", 1)
	scalarB.DatasetVersion = 3
	keep := indexMeta("vec2", []int32{1}, "VectorIndexDetails", 0, 1)
	dropped := indexMeta("gone", []int32{7}, "BTreeIndexDetails", 0)
	reuse := indexMeta(fragReuseIndexName, nil, "FragmentReuseIndexDetails")
	base := baseManifest(t, []uint64{0, 1}, vec, scalarA, scalarB, keep, dropped, reuse)
	got, err := Build(&Transaction{ReadVersion: 4, Operation: Delete{DeletedFragmentIDs: []uint64{1}}}, BuildParams{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ix := range got.Indexes.Indices {
		names = append(names, ix.Name)
		if ix.Name == "id" && ix.DatasetVersion != 2 {
			t.Errorf("kept the newer empty scalar segment")
		}
		if ix.Name == "vec2" && !equalIDs(bitmapIDs(t, ix), []uint64{0, 1}) {
			t.Errorf("bitmap of a kept index changed")
		}
	}
	want := []string{"id", "vec2", fragReuseIndexName}
	if len(names) != len(want) {
		t.Fatalf("indexes %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("indexes %v, want %v", names, want)
		}
	}
}

func TestBuildUpdatePrunesModifiedFields(t *testing.T) {
	onV := indexMeta("v", []int32{1}, "VectorIndexDetails", 0, 1)
	onID := indexMeta("id", []int32{0}, "BTreeIndexDetails", 0, 1)
	base := baseManifest(t, []uint64{0, 1}, onV, onID)
	upd := Update{UpdatedFragments: []*pb.DataFragment{base.PB.Fragments[1]}, NewFragments: []*pb.DataFragment{dataFrag(0, "n")},
		FieldsModified: []uint32{1}, Mode: RewriteColumns}
	got, err := Build(&Transaction{ReadVersion: 4, Operation: upd}, BuildParams{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	if !equalIDs(fragIDs(got.Manifest), []uint64{0, 1, 2}) {
		t.Fatalf("fragments %v", fragIDs(got.Manifest))
	}
	for _, ix := range got.Indexes.Indices {
		want := []uint64{0, 1}
		if ix.Name == "v" {
			want = []uint64{0}
		}
		if !equalIDs(bitmapIDs(t, ix), want) {
			t.Errorf("index %s covers %v, want %v", ix.Name, bitmapIDs(t, ix), want)
		}
	}
}

func TestBuildCreateIndexReplacesByName(t *testing.T) {
	old := indexMeta("ix", []int32{0}, "BTreeIndexDetails", 0)
	other := indexMeta("other", []int32{1}, "VectorIndexDetails", 0)
	removed := indexMeta("third", []int32{1}, "VectorIndexDetails", 0)
	base := baseManifest(t, []uint64{0}, old, other, removed)
	repl := indexMeta("ix", []int32{0}, "BTreeIndexDetails", 0)
	got, err := Build(&Transaction{ReadVersion: 4, Operation: CreateIndex{NewIndices: []*pb.IndexMetadata{repl}, RemovedIndices: []*pb.IndexMetadata{removed}}}, BuildParams{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Indexes.Indices); n != 2 || !proto.Equal(got.Indexes.Indices[0], other) || !proto.Equal(got.Indexes.Indices[1], repl) {
		t.Fatalf("indexes %v", got.Indexes.Indices)
	}
}

func TestBuildDropsTombstonedFiles(t *testing.T) {
	base := baseManifest(t, []uint64{0})
	f := dataFrag(0, "a")
	f.Files = append(f.Files, &pb.DataFile{Path: "dead", Fields: []int32{-2, -2}, FileMajorVersion: 2})
	got, err := Build(&Transaction{ReadVersion: 4, Operation: Append{Fragments: []*pb.DataFragment{f}}}, BuildParams{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	if files := got.Manifest.Fragments[1].Files; len(files) != 1 || files[0].Path != "a" {
		t.Errorf("files %v", files)
	}
}

func TestBuildRefusals(t *testing.T) {
	base := baseManifest(t, []uint64{0})
	legacy := dataFrag(0, "old")
	legacy.Files[0].FileMajorVersion, legacy.Files[0].FileMinorVersion = 2, 2
	cases := map[string]struct {
		txn  *Transaction
		base *format.Manifest
		want error
	}{
		"mixed file versions": {&Transaction{ReadVersion: 4, Operation: Append{Fragments: []*pb.DataFragment{legacy}}}, base, lanceerr.ErrUnsupported},
		"duplicate ids":       {&Transaction{ReadVersion: 4, Operation: Append{Fragments: []*pb.DataFragment{dataFrag(0, "x")}}}, nil, lanceerr.ErrNotFound},
		"explicit id clash":   {&Transaction{ReadVersion: 4, Operation: Append{Fragments: []*pb.DataFragment{dataFrag(0, "x"), dataFrag(1, "y")}}}, base, lanceerr.ErrInvalidArgument},
		"overwrite no schema": {&Transaction{Operation: Overwrite{}}, nil, lanceerr.ErrInvalidArgument},
		"file without fields": {&Transaction{ReadVersion: 4, Operation: Append{Fragments: []*pb.DataFragment{{Files: []*pb.DataFile{{Path: "x"}}}}}}, base, lanceerr.ErrInvalidArgument},
		"file without path":   {&Transaction{ReadVersion: 4, Operation: Append{Fragments: []*pb.DataFragment{{Files: []*pb.DataFile{{Fields: []int32{0}}}}}}}, base, lanceerr.ErrInvalidArgument},
		"foreign":             {&Transaction{ReadVersion: 4, Operation: Foreign{Kind: "Merge"}}, base, lanceerr.ErrUnsupported},
	}
	for name, c := range cases {
		if _, err := Build(c.txn, BuildParams{Base: c.base}); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
	// Stable row ids and unknown writer flags make the table read-only.
	ro := baseManifest(t, []uint64{0})
	ro.PB.WriterFeatureFlags = 1 << 10
	data, _ := format.EncodeManifestFile(ro.PB, nil, nil)
	roM, err := format.ParseManifest("_versions/4.manifest", "", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(&Transaction{ReadVersion: 4, Operation: Append{}}, BuildParams{Base: roM}); !errors.Is(err, lanceerr.ErrReadOnly) {
		t.Errorf("read-only table: %v", err)
	}
}
