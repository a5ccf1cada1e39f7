package commit

import (
	"errors"
	"testing"

	"github.com/resona-go/resona/lance/internal/pb"
)

func TestCheckConflictMatrix(t *testing.T) {
	frag := func(id uint64) []*pb.DataFragment { return []*pb.DataFragment{{Id: id}} }
	index := func(ids ...uint32) []*pb.IndexMetadata {
		return []*pb.IndexMetadata{{Name: "ix", Fields: []int32{1}, FragmentBitmap: encodeBitmap(bitmapOf(ids...))}}
	}
	foreign := func(kind string, m *pb.Transaction) Foreign { return Foreign{Kind: kind, PB: m} }
	exact := func(hashes ...uint64) *pb.Transaction_KeyExistenceFilter {
		return &pb.Transaction_KeyExistenceFilter{FieldIds: []int32{0}, Data: &pb.Transaction_KeyExistenceFilter_Exact{
			Exact: &pb.Transaction_ExactKeySetFilter{KeyHashes: hashes}}}
	}
	ops := map[string]Operation{
		"append":        Append{Fragments: frag(0)},
		"delete1":       Delete{UpdatedFragments: frag(1)},
		"delete2":       Delete{DeletedFragmentIDs: []uint64{2}},
		"update1":       Update{UpdatedFragments: frag(1), NewFragments: frag(0)},
		"update3":       Update{RemovedFragmentIDs: []uint64{3}},
		"overwrite":     Overwrite{Fragments: frag(0), Schema: []*pb.Field{{Name: "id"}}},
		"overwriteCfg":  Overwrite{Schema: []*pb.Field{{Name: "id"}}, ConfigUpsert: map[string]string{"k": "a"}},
		"overwriteCfgB": Overwrite{Schema: []*pb.Field{{Name: "id"}}, ConfigUpsert: map[string]string{"k": "b"}},
		"restore":       Restore{Version: 1},
		"index1":        CreateIndex{NewIndices: index(1)},
		"index5":        CreateIndex{NewIndices: index(5)},
		"indexOther":    CreateIndex{NewIndices: []*pb.IndexMetadata{{Name: "other", Fields: []int32{0}, FragmentBitmap: encodeBitmap(bitmapOf(1))}}},
		"updateVals1":   Update{UpdatedFragments: frag(1), FieldsModified: []uint32{1}, Mode: RewriteColumns},
		"updateVals0":   Update{UpdatedFragments: frag(1), FieldsModified: []uint32{0}, Mode: RewriteColumns},
		"upsertA":       Update{NewFragments: frag(0), InsertedRows: exact(1, 2)},
		"upsertB":       Update{NewFragments: frag(0), InsertedRows: exact(2, 3)},
		"upsertC":       Update{NewFragments: frag(0), InsertedRows: exact(4)},
		"rewrite1":      Rewrite{Groups: []RewriteGroup{{Old: frag(1), New: frag(0)}}},
		"rewrite3":      Rewrite{Groups: []RewriteGroup{{Old: frag(3), New: frag(0)}}},
		"merge":         foreign("Merge", &pb.Transaction{Operation: &pb.Transaction_Merge_{Merge: &pb.Transaction_Merge{}}}),
		"reserve":       foreign("ReserveFragments", &pb.Transaction{}),
		"config":        foreign("UpdateConfig", &pb.Transaction{}),
		"replace1": foreign("DataReplacement", &pb.Transaction{Operation: &pb.Transaction_DataReplacement_{DataReplacement: &pb.Transaction_DataReplacement{
			Replacements: []*pb.Transaction_DataReplacementGroup{{FragmentId: 1, NewFile: &pb.DataFile{Fields: []int32{1}}}},
		}}}),
		"memwal":  foreign("UpdateMemWalState", &pb.Transaction{}),
		"unknown": foreign("Unknown", &pb.Transaction{}),
	}
	const ok, retry, incompatible = "ok", "retry", "incompatible"
	cases := []struct{ mine, other, want string }{
		{"append", "append", ok}, {"append", "delete1", ok}, {"append", "update1", ok}, {"append", "index1", ok},
		{"append", "rewrite1", ok}, {"append", "overwrite", incompatible}, {"append", "restore", incompatible},
		{"append", "merge", ok}, {"append", "reserve", ok}, {"append", "config", ok}, {"append", "replace1", ok},
		{"append", "memwal", incompatible}, {"append", "unknown", incompatible},

		{"delete1", "append", ok}, {"delete1", "delete1", retry}, {"delete1", "delete2", ok}, {"delete1", "update1", retry},
		{"delete1", "update3", ok}, {"delete1", "rewrite1", retry}, {"delete1", "rewrite3", ok}, {"delete1", "index1", ok},
		{"delete1", "overwrite", incompatible}, {"delete1", "restore", incompatible}, {"delete1", "merge", retry},
		{"delete1", "replace1", retry}, {"delete2", "replace1", ok}, {"delete1", "reserve", ok}, {"delete1", "unknown", incompatible},

		{"update1", "delete1", retry}, {"update1", "delete2", ok}, {"update1", "update1", retry}, {"update1", "rewrite1", retry},
		{"update3", "rewrite3", retry}, {"update1", "append", ok}, {"update1", "index5", ok}, {"update1", "overwrite", incompatible},

		{"index1", "append", ok}, {"index1", "delete1", ok}, {"index1", "update1", ok}, {"index1", "index5", retry},
		{"index1", "indexOther", ok}, {"index1", "updateVals1", retry}, {"index1", "updateVals0", ok}, {"index5", "updateVals1", ok},
		{"upsertA", "append", retry}, {"upsertA", "update1", retry}, {"upsertA", "upsertB", retry}, {"upsertA", "upsertC", ok},
		{"update1", "upsertA", ok}, {"upsertA", "index1", ok}, {"upsertA", "delete2", ok},
		{"index1", "rewrite1", retry}, {"index1", "rewrite3", ok}, {"index1", "overwrite", incompatible},
		{"index1", "restore", incompatible}, {"index1", "merge", ok}, {"index1", "replace1", retry}, {"index5", "config", ok},

		{"rewrite1", "append", ok}, {"rewrite1", "delete1", retry}, {"rewrite1", "delete2", ok}, {"rewrite1", "update1", retry},
		{"rewrite1", "rewrite1", retry}, {"rewrite1", "rewrite3", ok}, {"rewrite1", "index1", retry}, {"rewrite1", "index5", ok},
		{"rewrite1", "overwrite", incompatible}, {"rewrite1", "merge", retry}, {"rewrite1", "memwal", ok}, {"rewrite1", "replace1", retry},

		{"overwrite", "append", ok}, {"overwrite", "delete1", ok}, {"overwrite", "overwrite", ok}, {"overwrite", "restore", ok},
		{"overwrite", "rewrite1", ok}, {"overwriteCfg", "overwriteCfgB", incompatible}, {"overwriteCfg", "overwriteCfg", ok},
		{"overwriteCfg", "config", incompatible}, {"overwrite", "config", ok}, {"overwrite", "memwal", incompatible},

		{"restore", "append", ok}, {"restore", "overwrite", ok}, {"restore", "restore", ok}, {"restore", "rewrite1", ok},
		{"restore", "merge", ok}, {"restore", "memwal", incompatible},
	}
	for _, c := range cases {
		err := CheckConflict(ops[c.mine], ops[c.other], 7)
		got := ok
		var ce *ConflictError
		if errors.As(err, &ce) {
			got = incompatible
			if ce.Retryable {
				got = retry
			}
			if ce.Version != 7 || !isConflict(err) {
				t.Errorf("%s after %s: malformed error %v", c.mine, c.other, err)
			}
		} else if err != nil {
			t.Errorf("%s after %s: unexpected error %v", c.mine, c.other, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s after %s: %s (%v), want %s", c.mine, c.other, got, err, c.want)
		}
	}
}
