package lance

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// latentModel generates embedding-like vectors: a point in a small latent
// space, drawn around one of a few topics, mapped linearly into dim
// dimensions, plus isotropic noise, then normalised.
type latentModel struct {
	dim, latent int
	proj        [][]float32 // dim × latent
	topics      [][]float64
}

func newLatentModel(dim, latent, topics int, seed uint64) *latentModel {
	r := rand.New(rand.NewPCG(seed, 3))
	m := &latentModel{dim: dim, latent: latent}
	m.proj = make([][]float32, dim)
	for i := range m.proj {
		m.proj[i] = make([]float32, latent)
		for j := range m.proj[i] {
			m.proj[i][j] = float32(r.NormFloat64())
		}
	}
	m.topics = make([][]float64, topics)
	for i := range m.topics {
		m.topics[i] = make([]float64, latent)
		for j := range m.topics[i] {
			m.topics[i][j] = r.NormFloat64() * 2
		}
	}
	return m
}

// point returns a latent point near z (spread is the per-axis deviation).
func (m *latentModel) point(r *rand.Rand, z []float64, spread float64) []float64 {
	out := make([]float64, m.latent)
	for j := range out {
		out[j] = z[j] + r.NormFloat64()*spread
	}
	return out
}

// embed maps a latent point to a normalised vector with noise.
func (m *latentModel) embed(r *rand.Rand, z []float64, noise float64) []float32 {
	v := make([]float32, m.dim)
	var norm float64
	for i := range v {
		var s float64
		for j, zj := range z {
			s += float64(m.proj[i][j]) * zj
		}
		s += r.NormFloat64() * noise
		v[i] = float32(s)
		norm += s * s
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// TestSearchMergesUnindexedByExactDistance indexes a table, then appends
// 10% new rows close to the queries, so that the true nearest neighbours
// mix indexed and unindexed rows. Without refining, the union must still
// be ranked by exact distance, as Lance's combined search does: recall@10
// against exact search stays high, every new row among the true ten is
// returned, and "_distance" is the exact distance of each returned row.
func TestSearchMergesUnindexedByExactDistance(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two indexes")
	}
	ctx := context.Background()
	const dim, n, queries = 64, 6000, 40
	const perQuery = n / 10 / queries
	model := newLatentModel(dim, 8, 30, 11)
	r := rand.New(rand.NewPCG(12, 13))
	latents := make([][]float64, n)
	rows := make([]resonaRow, n)
	for i := range rows {
		latents[i] = model.point(r, model.topics[r.IntN(len(model.topics))], 0.8)
		rows[i] = resonaRow{ID: fmt.Sprintf("old%d", i), Vector: model.embed(r, latents[i], 0.3), Created: 1.7e12}
	}
	// Each query sits near an indexed row; the rows appended later sit
	// around the query about as far as its indexed neighbours do.
	qvecs := make([][]float32, queries)
	var fresh []resonaRow
	for q := range qvecs {
		z := model.point(r, latents[(q*149)%n], 0.1)
		qvecs[q] = model.embed(r, z, 0.3)
		for j := range perQuery {
			v := model.embed(r, model.point(r, z, 0.8), 0.3)
			fresh = append(fresh, resonaRow{ID: fmt.Sprintf("new%d_%d", q, j), Vector: v, Created: 1.7e12})
		}
	}
	for _, metric := range []Metric{MetricCosine, MetricL2} {
		t.Run(string(metric), func(t *testing.T) {
			d := mustCreate(t, tempTable(t), dim, rows, CreateOptions{})
			ix, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, Metric: metric})
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			ad, err := ix.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, fresh)})
			if err != nil {
				t.Fatal(err)
			}
			defer ad.Close()
			for _, tc := range []struct {
				name   string
				refine int
				minRec float64
			}{
				{"unrefined", -1, 0.9},
				{"default", 0, 0.95},
			} {
				t.Run(tc.name, func(t *testing.T) {
					var recall float64
					newWanted, newMissed := 0, 0
					for q, query := range qvecs {
						got, gotDist := searchIDs(t, ad, SearchOptions{Query: query, RefineFactor: tc.refine})
						want, wantDist := searchIDs(t, ad, SearchOptions{Query: query, BypassVectorIndex: true, Metric: metric})
						recall += recallOf(got, want)
						gotSet := map[string]bool{}
						for _, id := range got {
							gotSet[id] = true
						}
						for _, id := range want {
							if strings.HasPrefix(id, "new") {
								newWanted++
								if !gotSet[id] {
									newMissed++
								}
							}
						}
						exact := map[string]float32{}
						for i, id := range want {
							exact[id] = wantDist[i]
						}
						for i, id := range got {
							if e, ok := exact[id]; ok && math.Abs(float64(e-gotDist[i])) > 1e-4 {
								t.Errorf("query %d: %s _distance %g, exact %g", q, id, gotDist[i], e)
							}
						}
					}
					recall /= queries
					t.Logf("recall@10 %.3f; %d of the true top-10 rows are appended ones, %d of them missed",
						recall, newWanted, newMissed)
					if newWanted == 0 || newWanted == queries*10 {
						t.Fatalf("appended rows make %d of %d true neighbours: the test does not mix them", newWanted, queries*10)
					}
					if recall < tc.minRec {
						t.Errorf("recall@10 %.3f, want ≥ %.2f", recall, tc.minRec)
					}
					if newMissed > 0 {
						t.Errorf("%d appended rows among the true top 10 were not returned", newMissed)
					}
				})
			}
		})
	}
}
