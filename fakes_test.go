package resona

import (
	"context"
	"math"
	"strings"

	"github.com/resona-go/resona/provider"
)

// faultyProvider wraps the local embedder and misbehaves on cue: a NaN
// component for texts containing "nan", one dimension too few for texts
// containing "short".
type faultyProvider struct {
	*provider.Local
}

func (f *faultyProvider) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vecs, err := f.Local.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	for i, t := range texts {
		switch {
		case strings.Contains(t, "nan"):
			vecs[i][0] = float32(math.NaN())
		case strings.Contains(t, "short"):
			vecs[i] = vecs[i][:len(vecs[i])-1]
		}
	}
	return vecs, nil
}
