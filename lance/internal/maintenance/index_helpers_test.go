package maintenance_test

import (
	"bytes"
	"context"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
)

// addIndex commits a BTREE-typed index segment on "id" covering the given
// fragments, with one placeholder file in its directory. It returns the
// segment's uuid.
func (tb *table) addIndex(name string, frags ...uint32) uuid.UUID {
	tb.t.Helper()
	ctx := context.Background()
	m := tb.latest()
	id := uuid.New()
	if err := tb.st.Put(ctx, format.IndicesDir+"/"+id.String()+"/page_lookup.lance", []byte("placeholder index file")); err != nil {
		tb.t.Fatal(err)
	}
	bm := roaring.New()
	bm.AddMany(frags)
	var buf bytes.Buffer
	if _, err := bm.WriteTo(&buf); err != nil {
		tb.t.Fatal(err)
	}
	details, err := proto.Marshal(&pb.BTreeIndexDetails{})
	if err != nil {
		tb.t.Fatal(err)
	}
	ix := &pb.IndexMetadata{
		Uuid: &pb.UUID{Uuid: id[:]}, Name: name, Fields: []int32{0}, DatasetVersion: m.Version,
		FragmentBitmap: buf.Bytes(),
		IndexDetails:   &anypb.Any{TypeUrl: "/lance.table.BTreeIndexDetails", Value: details},
	}
	_, err = commit.Commit(ctx, tb.st, &commit.Transaction{ReadVersion: m.Version,
		Operation: commit.CreateIndex{NewIndices: []*pb.IndexMetadata{ix}}}, commit.Options{})
	if err != nil {
		tb.t.Fatal(err)
	}
	return id
}
