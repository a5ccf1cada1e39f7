package commit

import (
	"bytes"

	"github.com/RoaringBitmap/roaring/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

type anyMsg = anypb.Any

func cloneFragments(in []*pb.DataFragment) []*pb.DataFragment {
	out := make([]*pb.DataFragment, 0, len(in))
	for _, f := range in {
		if f != nil {
			out = append(out, proto.Clone(f).(*pb.DataFragment))
		}
	}
	return out
}

func cloneFields(in []*pb.Field) []*pb.Field {
	out := make([]*pb.Field, 0, len(in))
	for _, f := range in {
		out = append(out, proto.Clone(f).(*pb.Field))
	}
	return out
}

func cloneBytesMap(in map[string][]byte) map[string][]byte {
	if in == nil {
		return nil
	}
	out := make(map[string][]byte, len(in))
	for k, v := range in {
		out[k] = append([]byte(nil), v...)
	}
	return out
}

func cloneStringMap(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// decodeBitmap reads a portable 32-bit Roaring serialization.
func decodeBitmap(b []byte) (*roaring.Bitmap, error) {
	bm := roaring.New()
	if _, err := bm.ReadFrom(bytes.NewReader(b)); err != nil {
		return nil, err
	}
	if err := bm.Validate(); err != nil {
		return nil, err
	}
	return bm, nil
}

// encodeBitmap writes the portable serialization without run containers,
// which older Rust roaring readers reject: the values are re-added one by
// one into a fresh bitmap.
func encodeBitmap(bm *roaring.Bitmap) []byte {
	plain := roaring.New()
	plain.AddMany(bm.ToArray())
	var buf bytes.Buffer
	_, _ = plain.WriteTo(&buf) // writing to a bytes.Buffer cannot fail
	return buf.Bytes()
}

// storeRoot returns the filesystem directory of stores that have one, so
// manifests parsed here resolve base paths as format.ReadManifest does.
func storeRoot(store storage.Store) string {
	if r, ok := store.(interface{ Root() string }); ok {
		return r.Root()
	}
	return ""
}
