package maintenance

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Reference directories of a dataset: tags pin versions, branches are
// datasets of their own that may share this one's files.
const (
	TagsDir     = "_refs/tags"
	BranchesDir = "_refs/branches"
)

// Tag is one tag file, "_refs/tags/<name>.json". Lance writes it as JSON
// {"branch": null, "version": N, "manifestSize": bytes}.
type Tag struct {
	Name         string
	Version      uint64
	Branch       string
	ManifestSize uint64
}

type tagFile struct {
	Branch       *string `json:"branch"`
	Version      *uint64 `json:"version"`
	ManifestSize uint64  `json:"manifestSize"`
}

// ListTags reads every tag of the dataset, sorted by name. A tag file that
// cannot be parsed is an error: cleanup must not guess which version it
// protects.
func ListTags(ctx context.Context, store storage.Store) ([]Tag, error) {
	entries, err := store.List(ctx, TagsDir)
	if err != nil {
		return nil, err
	}
	var out []Tag
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name, ".json")
		if e.IsDir || !ok {
			continue
		}
		p := TagsDir + "/" + e.Name
		data, err := store.ReadAll(ctx, p)
		if err != nil {
			return nil, err
		}
		var tf tagFile
		if err := json.Unmarshal(data, &tf); err != nil || tf.Version == nil {
			return nil, fmt.Errorf("%w: %s: not a tag file (want {\"version\": N, ...})", lanceerr.ErrCorrupt, p)
		}
		t := Tag{Name: name, Version: *tf.Version, ManifestSize: tf.ManifestSize}
		if tf.Branch != nil {
			t.Branch = *tf.Branch
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// hasBranches reports whether the dataset has branches.
func hasBranches(ctx context.Context, store storage.Store) (bool, error) {
	entries, err := store.List(ctx, BranchesDir)
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		if !e.IsDir && strings.HasSuffix(e.Name, ".json") {
			return true, nil
		}
	}
	return false, nil
}
