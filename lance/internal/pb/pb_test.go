package pb_test

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
	"github.com/resona-go/resona/lance/internal/pb/enc21"
	"github.com/resona-go/resona/lance/internal/pb/file2"
	"github.com/resona-go/resona/lance/internal/pb/indexpb"
)

// TestFullNames pins the protobuf full names: they appear in type URLs
// stored in Lance files and must be Lance's exactly.
func TestFullNames(t *testing.T) {
	tests := []struct {
		msg  proto.Message
		want protoreflect.FullName
	}{
		{&pb.Field{}, "lance.file.Field"},
		{&pb.FileDescriptor{}, "lance.file.FileDescriptor"},
		{&pb.Metadata{}, "lance.file.Metadata"},
		{&file2.ColumnMetadata{}, "lance.file.v2.ColumnMetadata"},
		{&file2.ColumnMetadata_Page{}, "lance.file.v2.ColumnMetadata.Page"},
		{&pb.Manifest{}, "lance.table.Manifest"},
		{&pb.DataFragment{}, "lance.table.DataFragment"},
		{&pb.IndexSection{}, "lance.table.IndexSection"},
		{&pb.Transaction{}, "lance.table.Transaction"},
		{&pb.RowIdSequence{}, "lance.table.RowIdSequence"},
		{&pb.VectorIndexDetails{}, "lance.table.VectorIndexDetails"},
		{&pb.BTreeIndexDetails{}, "lance.table.BTreeIndexDetails"},
		{&pb.InvertedIndexDetails{}, "lance.table.InvertedIndexDetails"},
		{&pb.FragmentReuseIndexDetails{}, "lance.table.FragmentReuseIndexDetails"},
		{&indexpb.Index{}, "lance.index.pb.Index"},
		{&indexpb.VectorIndexDetails{}, "lance.index.pb.VectorIndexDetails"},
		{&enc20.ArrayEncoding{}, "lance.encodings.ArrayEncoding"},
		{&enc20.ColumnEncoding{}, "lance.encodings.ColumnEncoding"},
		{&enc21.PageLayout{}, "lance.encodings21.PageLayout"},
		{&enc21.CompressiveEncoding{}, "lance.encodings21.CompressiveEncoding"},
	}
	for _, tt := range tests {
		if got := tt.msg.ProtoReflect().Descriptor().FullName(); got != tt.want {
			t.Errorf("full name = %s, want %s", got, tt.want)
		}
	}
}

// anyBytes builds a serialized google.protobuf.Any by hand.
func anyBytes(typeURL string, value []byte) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, typeURL)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, value)
	return b
}

func TestAnyArrayEncoding(t *testing.T) {
	// ArrayEncoding{flat(1): Flat{bits_per_value(1): 32}}.
	value := []byte{0x0a, 0x02, 0x08, 0x20}
	var a anypb.Any
	if err := proto.Unmarshal(anyBytes("/lance.encodings.ArrayEncoding", value), &a); err != nil {
		t.Fatal(err)
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		t.Fatalf("UnmarshalNew: %v", err)
	}
	enc, ok := m.(*enc20.ArrayEncoding)
	if !ok {
		t.Fatalf("got %T, want *enc20.ArrayEncoding", m)
	}
	if got := enc.GetFlat().GetBitsPerValue(); got != 32 {
		t.Errorf("bits_per_value = %d, want 32", got)
	}
}

func TestAnyPageLayout(t *testing.T) {
	tests := []struct {
		name  string
		value []byte
		check func(*testing.T, *enc21.PageLayout)
	}{
		{
			// mini_block_layout(1): {num_items(9): 3, has_large_chunk(10): true}
			name:  "mini block large chunk",
			value: []byte{0x0a, 0x04, 0x48, 0x03, 0x50, 0x01},
			check: func(t *testing.T, l *enc21.PageLayout) {
				mb := l.GetMiniBlockLayout()
				if mb == nil || !mb.GetHasLargeChunk() || mb.GetNumItems() != 3 {
					t.Errorf("mini block = %v", mb)
				}
			},
		},
		{
			// constant_layout(2): {layers(5): [1], inline_value(6): 07 00, num_def_values(10): 9}
			name:  "constant",
			value: []byte{0x12, 0x09, 0x2a, 0x01, 0x01, 0x32, 0x02, 0x07, 0x00, 0x50, 0x09},
			check: func(t *testing.T, l *enc21.PageLayout) {
				c := l.GetConstantLayout()
				if c == nil {
					t.Fatalf("no constant layout in %v", l)
				}
				if !bytes.Equal(c.InlineValue, []byte{7, 0}) || c.GetNumDefValues() != 9 ||
					len(c.Layers) != 1 || c.Layers[0] != enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM {
					t.Errorf("constant = %v", c)
				}
			},
		},
		{
			// An older all-null page: field 2 with only layers(5) = [3].
			name:  "all null",
			value: []byte{0x12, 0x03, 0x2a, 0x01, 0x03},
			check: func(t *testing.T, l *enc21.PageLayout) {
				c := l.GetConstantLayout()
				if c == nil || c.InlineValue != nil || len(c.Layers) != 1 ||
					c.Layers[0] != enc21.RepDefLayer_REPDEF_NULLABLE_ITEM {
					t.Errorf("all-null = %v", l)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a anypb.Any
			if err := proto.Unmarshal(anyBytes("/lance.encodings21.PageLayout", tt.value), &a); err != nil {
				t.Fatal(err)
			}
			m, err := a.UnmarshalNew()
			if err != nil {
				t.Fatalf("UnmarshalNew: %v", err)
			}
			l, ok := m.(*enc21.PageLayout)
			if !ok {
				t.Fatalf("got %T, want *enc21.PageLayout", m)
			}
			tt.check(t, l)
		})
	}
}

func TestAnyIndexDetails(t *testing.T) {
	// lance.index.pb.VectorIndexDetails{metric_type(1): Cosine}
	var a anypb.Any
	if err := proto.Unmarshal(anyBytes("/lance.index.pb.VectorIndexDetails", []byte{0x08, 0x01}), &a); err != nil {
		t.Fatal(err)
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := m.(*indexpb.VectorIndexDetails)
	if !ok || d.GetMetricType() != indexpb.VectorMetricType_Cosine {
		t.Errorf("got %T %v", m, m)
	}
	// The older, empty message of the same short name.
	a = anypb.Any{TypeUrl: "/lance.table.VectorIndexDetails"}
	if m, err = a.UnmarshalNew(); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*pb.VectorIndexDetails); !ok {
		t.Errorf("got %T, want *pb.VectorIndexDetails", m)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	// Lance writes prost-style type URLs: a leading slash, no domain.
	details := &anypb.Any{TypeUrl: "/lance.table.BTreeIndexDetails"}
	want := &pb.Manifest{
		Fields: []*pb.Field{
			{Name: "id", Id: 0, ParentId: -1, LogicalType: "int64"},
			{Name: "vec", Id: 1, ParentId: -1, LogicalType: "fixed_size_list:float:8", Nullable: true},
		},
		Fragments: []*pb.DataFragment{{
			Id: 3,
			Files: []*pb.DataFile{{
				Path: "a.lance", Fields: []int32{0, 1}, ColumnIndices: []int32{0, 1},
				FileMajorVersion: 2, FileMinorVersion: 1, FileSizeBytes: 1234,
			}},
			DeletionFile: &pb.DeletionFile{
				FileType: pb.DeletionFile_BITMAP, ReadVersion: 2, Id: 77, NumDeletedRows: 5,
			},
			RowIdSequence: &pb.DataFragment_InlineRowIds{InlineRowIds: []byte{1, 2}},
			PhysicalRows:  100,
		}},
		Version:            4,
		WriterVersion:      &pb.Manifest_WriterVersion{Library: "lance", Version: "1.0.0", Prerelease: proto.String("rc.1")},
		IndexSection:       proto.Uint64(4096),
		Timestamp:          timestamppb.New(time.Unix(1700000000, 123456000).UTC()),
		ReaderFeatureFlags: 3,
		MaxFragmentId:      proto.Uint32(3),
		TransactionSection: proto.Uint64(8192),
		DataFormat:         &pb.Manifest_DataStorageFormat{FileFormat: "lance", Version: "2.1"},
		Config:             map[string]string{"lance.auto_cleanup.interval": "20"},
		TableMetadata:      map[string]string{"owner": "x"},
		BasePaths:          []*pb.BasePath{{Id: 1, Path: "file:///elsewhere", IsDatasetRoot: true}},
		Branch:             proto.String("dev"),
	}
	raw, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got := &pb.Manifest{}
	if err := proto.Unmarshal(raw, got); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Errorf("round trip differs:\n got %v\nwant %v", got, want)
	}

	// Spot-check field numbers against hand-encoded bytes.
	for _, tc := range []struct {
		name string
		msg  proto.Message
		want []byte
	}{
		{"transaction_section=21", &pb.Manifest{TransactionSection: proto.Uint64(5)}, []byte{0xa8, 0x01, 0x05}},
		{"branch=20", &pb.Manifest{Branch: proto.String("b")}, []byte{0xa2, 0x01, 0x01, 'b'}},
		{"physical_rows=4", &pb.DataFragment{PhysicalRows: 7}, []byte{0x20, 0x07}},
		{"index files=10", &pb.IndexMetadata{Files: []*pb.IndexFile{{Path: "i", SizeBytes: 2}}},
			[]byte{0x52, 0x05, 0x0a, 0x01, 'i', 0x10, 0x02}},
		{"index_details=6", &pb.IndexMetadata{IndexDetails: details},
			append([]byte{0x32, 0x20, 0x0a, 0x1e}, "/lance.table.BTreeIndexDetails"...)},
	} {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(tc.msg)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, tc.want) {
			t.Errorf("%s: bytes %x, want %x", tc.name, b, tc.want)
		}
	}
}

func TestTransactionOperation(t *testing.T) {
	// Transaction{read_version(1): 2, append(100): {}} and update_bases(114).
	b := []byte{0x08, 0x02, 0xa2, 0x06, 0x00}
	var tx pb.Transaction
	if err := proto.Unmarshal(b, &tx); err != nil {
		t.Fatal(err)
	}
	if tx.GetReadVersion() != 2 || tx.GetAppend() == nil {
		t.Errorf("transaction = %v", &tx)
	}
	b = []byte{0x92, 0x07, 0x00} // field 114, length 0
	tx.Reset()
	if err := proto.Unmarshal(b, &tx); err != nil {
		t.Fatal(err)
	}
	if tx.GetUpdateBases() == nil {
		t.Errorf("transaction = %v", &tx)
	}
}
