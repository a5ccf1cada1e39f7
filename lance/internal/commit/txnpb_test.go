package commit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/pb"
)

// TestTransactionFilesRoundTrip decodes every .txn LanceDB wrote and checks
// that converting back gives the same message.
func TestTransactionFilesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/lancedb*/_transactions/*.txn")
	if len(files) < 18 {
		t.Fatalf("found %d transaction files", len(files))
	}
	kinds := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		txn, err := UnmarshalTransaction(f, data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		kinds[txn.Operation.Name()]++
		want := &pb.Transaction{}
		if err := proto.Unmarshal(data, want); err != nil {
			t.Fatal(err)
		}
		got, err := txn.ToPB()
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("%s: round trip differs\n got: %v\nwant: %v", f, got, want)
		}
		if name := filepath.Base(f); TransactionFileName(txn) != name {
			t.Errorf("%s: file name would be %s", f, TransactionFileName(txn))
		}
	}
	for _, k := range []string{"Overwrite", "Append", "Delete", "Update", "CreateIndex", "Rewrite", "ReserveFragments"} {
		if kinds[k] == 0 {
			t.Errorf("no %s transaction decoded (%v)", k, kinds)
		}
	}
}

func TestTransactionRoundTripAllOperations(t *testing.T) {
	frag := &pb.DataFragment{Id: 3, PhysicalRows: 7, Files: []*pb.DataFile{{Path: "a.lance", Fields: []int32{0}, ColumnIndices: []int32{0}, FileMajorVersion: 2}}}
	idx := &pb.IndexMetadata{Uuid: uuidPB(uuid.New()), Name: "v", Fields: []int32{1}, FragmentBitmap: encodeBitmap(bitmapOf(1, 2))}
	ops := []Operation{
		Append{Fragments: []*pb.DataFragment{frag}},
		Delete{UpdatedFragments: []*pb.DataFragment{frag}, DeletedFragmentIDs: []uint64{4, 5}, Predicate: "id > 3"},
		Overwrite{Fragments: []*pb.DataFragment{frag}, Schema: []*pb.Field{{Name: "id", Id: 0, ParentId: -1, LogicalType: "int64"}},
			SchemaMetadata: map[string][]byte{"k": []byte("v")}, ConfigUpsert: map[string]string{"a": "b"}},
		CreateIndex{NewIndices: []*pb.IndexMetadata{idx}, RemovedIndices: []*pb.IndexMetadata{idx}},
		Rewrite{Groups: []RewriteGroup{{Old: []*pb.DataFragment{frag}, New: []*pb.DataFragment{frag}}},
			RewrittenIndices: []RewrittenIndex{{OldID: uuid.New(), NewID: uuid.New(), IndexVersion: 2}}},
		Update{RemovedFragmentIDs: []uint64{1}, UpdatedFragments: []*pb.DataFragment{frag}, NewFragments: []*pb.DataFragment{frag},
			FieldsModified: []uint32{1}, FieldsForPreservingFragBitmap: []uint32{0, 1}, Mode: RewriteColumns},
		Restore{Version: 9},
	}
	for _, op := range ops {
		in := &Transaction{ReadVersion: 5, UUID: uuid.NewString(), Tag: "t", Properties: map[string]string{"p": "q"}, Operation: op}
		data, err := in.Marshal()
		if err != nil {
			t.Fatalf("%s: %v", op.Name(), err)
		}
		out, err := UnmarshalTransaction("mem", data)
		if err != nil {
			t.Fatalf("%s: %v", op.Name(), err)
		}
		a, _ := in.ToPB()
		b, _ := out.ToPB()
		if !proto.Equal(a, b) || out.Operation.Name() != op.Name() {
			t.Errorf("%s: round trip differs\n in: %v\nout: %v", op.Name(), a, b)
		}
	}
}

func TestUnmarshalTransactionCorrupt(t *testing.T) {
	if _, err := UnmarshalTransaction("x.txn", []byte{0xff, 0xff, 0xff}); err == nil {
		t.Fatal("garbage decoded without error")
	}
}

func FuzzUnmarshalTransaction(f *testing.F) {
	files, _ := filepath.Glob("testdata/lancedb*/_transactions/*.txn")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		txn, err := UnmarshalTransaction("fuzz.txn", data)
		if err != nil {
			return
		}
		_, _ = txn.ToPB()
		_ = CheckConflict(txn.Operation, txn.Operation, 1)
	})
}
