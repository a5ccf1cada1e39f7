package commit

import (
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/pb"
)

// Transaction is one change to a dataset, described relative to the
// version it was prepared against. It is what _transactions/*.txn files
// hold, and what a writer that lost a commit race checks and rebases.
type Transaction struct {
	// ReadVersion is the version the change was prepared against (0 when
	// creating a dataset).
	ReadVersion uint64
	// UUID identifies the transaction and names its .txn file; a random
	// one is assigned at commit when empty.
	UUID string
	// Tag and Properties are free-form; Lance reserves the property key
	// "__lance_commit_message".
	Tag        string
	Properties map[string]string
	Operation  Operation
}

// Operation is the change a Transaction makes. The concrete types are
// Append, Delete, Overwrite, CreateIndex, Rewrite, Update and Restore; a
// transaction committed by another writer with an operation outside that
// set decodes as Foreign, which can be checked against but not committed.
type Operation interface {
	// Name returns Lance's name of the operation ("Append", "Delete", …).
	Name() string
	isOperation()
}

// Append adds fragments. Fragment ids of 0 are assigned at commit from the
// dataset's max fragment id (Lance treats id 0 as "unassigned" here).
type Append struct {
	Fragments []*pb.DataFragment
}

// Delete replaces fragments whose deletion file changed (UpdatedFragments,
// keyed by id) and drops fragments whose rows are all deleted.
type Delete struct {
	UpdatedFragments   []*pb.DataFragment
	DeletedFragmentIDs []uint64
	Predicate          string
}

// Overwrite replaces the whole dataset; with ReadVersion 0 it creates one.
// Fragment ids restart at 0 and indexes are dropped, as in Lance.
type Overwrite struct {
	Fragments      []*pb.DataFragment
	Schema         []*pb.Field
	SchemaMetadata map[string][]byte
	// ConfigUpsert is merged into the table config.
	ConfigUpsert map[string]string
}

// CreateIndex adds index segments and removes others. As in Lance, a new
// segment replaces every existing segment of the same name, and
// RemovedIndices are removed by uuid.
type CreateIndex struct {
	NewIndices     []*pb.IndexMetadata
	RemovedIndices []*pb.IndexMetadata
}

// RewriteGroup is a set of fragments rewritten together into New.
type RewriteGroup struct {
	Old []*pb.DataFragment
	New []*pb.DataFragment
}

// RewrittenIndex records that the index segment OldID was remapped to the
// new row addresses of a Rewrite and now lives under NewID.
type RewrittenIndex struct {
	OldID, NewID uuid.UUID
	// Details, IndexVersion and Files describe the new segment when they
	// changed; nil/0/nil keep the old values (files are then dropped, as
	// they named the old directory's content).
	Details      *anypb.Any
	IndexVersion uint32
	Files        []*pb.IndexFile
}

// Rewrite is a compaction: each group's old fragments are replaced by its
// new fragments (ids of 0 assigned at commit) and every index in
// RewrittenIndices gets its uuid and fragment bitmap updated.
type Rewrite struct {
	Groups           []RewriteGroup
	RewrittenIndices []RewrittenIndex
}

// UpdateMode says how an Update stored changed rows.
type UpdateMode int32

const (
	// RewriteRows deletes changed rows from their fragments and writes them
	// again in new fragments (what merge-insert/upsert does).
	RewriteRows UpdateMode = 0
	// RewriteColumns writes new data files for the changed columns.
	RewriteColumns UpdateMode = 1
)

// Update changes rows: fragments are removed, replaced (typically with a
// new deletion file) or added. Lance commits merge-insert as an Update in
// RewriteRows mode with no FieldsModified and every field id in
// FieldsForPreservingFragBitmap.
type Update struct {
	RemovedFragmentIDs []uint64
	UpdatedFragments   []*pb.DataFragment
	NewFragments       []*pb.DataFragment
	// FieldsModified are field ids whose values changed in
	// UpdatedFragments; those fragments leave every index on such a field.
	FieldsModified                []uint32
	FieldsForPreservingFragBitmap []uint32
	Mode                          UpdateMode
	// InsertedRows, when set, identifies the primary keys a merge-insert
	// inserted; newer Lance uses it to detect concurrent inserts of the
	// same key. It is kept as read and written unchanged.
	InsertedRows *pb.Transaction_KeyExistenceFilter
}

// Restore makes the content of an earlier version the latest version.
type Restore struct {
	Version uint64
}

// Foreign is an operation committed by another writer that this package
// does not build manifests for (Merge, Project, UpdateConfig, …). It takes
// part in conflict checks only.
type Foreign struct {
	// Kind is Lance's operation name, "Unknown" when the transaction had
	// none this package recognises.
	Kind string
	PB   *pb.Transaction
}

func (Append) Name() string      { return "Append" }
func (Delete) Name() string      { return "Delete" }
func (Overwrite) Name() string   { return "Overwrite" }
func (CreateIndex) Name() string { return "CreateIndex" }
func (Rewrite) Name() string     { return "Rewrite" }
func (Update) Name() string      { return "Update" }
func (Restore) Name() string     { return "Restore" }
func (f Foreign) Name() string   { return f.Kind }

func (Append) isOperation()      {}
func (Delete) isOperation()      {}
func (Overwrite) isOperation()   {}
func (CreateIndex) isOperation() {}
func (Rewrite) isOperation()     {}
func (Update) isOperation()      {}
func (Restore) isOperation()     {}
func (Foreign) isOperation()     {}

// modifiedFragments returns the ids of existing fragments an operation
// changes or removes (nil for operations that only add).
func modifiedFragments(op Operation) map[uint64]bool {
	out := map[uint64]bool{}
	switch o := op.(type) {
	case Delete:
		for _, f := range o.UpdatedFragments {
			out[f.GetId()] = true
		}
		for _, id := range o.DeletedFragmentIDs {
			out[id] = true
		}
	case Update:
		for _, f := range o.UpdatedFragments {
			out[f.GetId()] = true
		}
		for _, id := range o.RemovedFragmentIDs {
			out[id] = true
		}
	case Rewrite:
		for _, g := range o.Groups {
			for _, f := range g.Old {
				out[f.GetId()] = true
			}
		}
	case Foreign:
		if dr := o.PB.GetDataReplacement(); dr != nil {
			for _, r := range dr.Replacements {
				out[r.GetFragmentId()] = true
			}
		}
	}
	return out
}
