package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// The search figures are what their names say: the squared euclidean
// distance between the stored vectors (recomputed here from the exported
// ones), and 1 minus it.
func TestSearchScoreIsOneMinusSquaredL2(t *testing.T) {
	e := newEnv(t)
	e.dbRun(jsonl(t), "embed", "generate", "-").mustOK(t)
	vectors := map[string][][]float64{} // item id → its rows' vectors
	for _, line := range strings.Split(strings.TrimSpace(e.dbRun("", "embed", "export", "--with-vectors").mustOK(t).stdout), "\n") {
		var row struct {
			ID     string    `json:"id"`
			Vector []float64 `json:"vector"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		id, _, _ := strings.Cut(row.ID, "#")
		vectors[id] = append(vectors[id], row.Vector)
	}
	// The local provider embeds a query as it embeds a document: gzip's
	// own text is at distance 0 from gzip's vector.
	query := vectors["gzip"][0]
	r := e.dbRun("", "embed", "search", "--json", "-k", "11", corpus[0].text).mustOK(t)
	for _, key := range []string{`"similarity"`, `"distance"`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("search --json has no %s field:\n%.400s", key, r.stdout)
		}
	}
	var hits []searchHit
	if err := json.Unmarshal([]byte(r.stdout), &hits); err != nil {
		t.Fatal(err)
	}
	if len(hits) != len(corpus) || hits[0].ID != "gzip" {
		t.Fatalf("hits %+v", hits)
	}
	negative := false
	for _, h := range hits {
		want := math.Inf(1)
		for _, v := range vectors[h.ID] {
			var d float64
			for i := range v {
				d += (query[i] - v[i]) * (query[i] - v[i])
			}
			want = min(want, d)
		}
		if math.Abs(h.Distance-want) > 1e-4*max(1, want) {
			t.Errorf("%s: distance %v, recomputed %v", h.ID, h.Distance, want)
		}
		if h.Similarity != 1-h.Distance {
			t.Errorf("%s: similarity %v, distance %v", h.ID, h.Similarity, h.Distance)
		}
		negative = negative || h.Similarity < 0
	}
	t.Logf("some scores negative: %v", negative)

	// The table names the score by its formula, and the help explains it.
	r = e.dbRun("", "embed", "search", "-k", "2", corpus[0].text).mustOK(t)
	if !strings.Contains(r.stdout, scoreHeader) || !strings.Contains(r.stdout, "1.000") {
		t.Errorf("search table:\n%s", r.stdout)
	}
	r = e.run("", "embed", "search", "--help").mustOK(t)
	for _, want := range []string{"1 − d", "squared euclidean (L2) distance", "not the cosine similarity", "2·cos − 1", `"similarity"`} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("search --help does not say %q", want)
		}
	}
}
