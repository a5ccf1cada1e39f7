package provider

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

// topicTexts are notes on four topics, the way someone would write them
// down: texts on one topic share some vocabulary, not necessarily much.
// The local embedder's feature weights were chosen on these.
var topicTexts = []struct{ topic, text string }{
	{"cooking", "Tomato sauce: brown the onions slowly in butter, add the garlic and a pinch of salt, then the tomatoes. Simmer the sauce for an hour and season it before serving with pasta."},
	{"cooking", "Risotto: toast the rice in olive oil with a chopped onion, add warm stock one ladle at a time and stir until creamy. Finish with butter and parmesan, season with salt and pepper."},
	{"cooking", "Bread: let the dough rise overnight in the fridge, shape it in the morning and bake it in a hot oven. A pinch more salt in the dough gives the bread more flavour."},
	{"databases", "An index on the customer_id column lets the database find matching rows without scanning the whole table. Check the query plan to see whether the index is used."},
	{"databases", "Each transaction writes to the log before the table pages change, so the database can recover after a crash by replaying the log from the last checkpoint."},
	{"databases", "Vacuuming the tables reclaims space from deleted rows, and analysing them keeps the query planner's statistics fresh, so the database picks good plans and indexes."},
	{"running", "Long run on Sunday: 18 kilometres at an easy pace. My knees felt fine but my calves were sore after the run; stretch more and keep the easy runs easy."},
	{"running", "Interval training on the track: six repeats of 800 metres with two minutes of jogging between repeats. Run the intervals at 5k race pace."},
	{"running", "Training plan for the half marathon: three easy runs, one interval session and one long run each week, building the long run up to 20 kilometres."},
	{"garden", "The tomatoes in the greenhouse need watering every morning, and the basil seedlings should be moved to bigger pots before planting them in the garden."},
	{"garden", "Pruned the apple trees in February and spread compost around the raspberry canes. The garden beds need more compost before planting the seedlings in spring."},
}

// heldOutTexts were written after the embedder was tuned on topicTexts,
// with little vocabulary shared inside a topic: a harder, honest check.
var heldOutTexts = []struct{ topic, text string }{
	{"cooking", "Pancakes for Sunday breakfast: whisk flour, eggs, milk and a little sugar, rest the batter, then fry thin pancakes in a hot buttered pan."},
	{"cooking", "The curry needs more heat: fry cumin seeds and chilli in oil first, then add ginger, garlic and the spice paste before the coconut milk."},
	{"cooking", "Roast the vegetables at 220 degrees with olive oil, salt and rosemary until the edges caramelise; turn them halfway through."},
	{"cooking", "Soup from leftovers: sweat onion and celery, add the chopped vegetables and stock, simmer twenty minutes and blend until smooth."},
	{"databases", "Migrating the orders table to a new schema: add the column as nullable, backfill it in batches, then add the NOT NULL constraint."},
	{"databases", "Replication lag on the read replica grew to ten minutes during the nightly batch job, so queries returned stale rows."},
	{"databases", "Use EXPLAIN ANALYZE to compare the sequential scan with the index scan; the planner's row estimates were off by a factor of 100."},
	{"databases", "Sharding the events table by tenant id spreads writes across nodes, but cross-shard joins become expensive queries."},
	{"running", "Tempo run today: 3 km warm-up, 5 km at threshold pace, 2 km cool-down. Heart rate stayed around 165."},
	{"running", "New running shoes feel stiff; alternate them with the old pair for the first few weeks of training to avoid blisters."},
	{"running", "Race report: the marathon started fast, I went out too quickly and paid for it after 30 km with cramps in both calves."},
	{"garden", "Sowed carrots and radishes in the raised bed, covered the rows with fleece against frost and watered them gently."},
	{"garden", "Slugs ate half the lettuce seedlings overnight; put copper tape around the beds and beer traps between the rows."},
	{"garden", "The roses need pruning back to an outward-facing bud in March, and a mulch of well-rotted manure around the roots."},
	{"travel", "Booked the night train from Zurich to Vienna; the sleeper cabin has three berths and breakfast is included in the ticket."},
	{"travel", "Packing list for the hiking trip: rain jacket, map, headlamp, first aid kit, and enough cash for the mountain huts."},
	{"travel", "Flight delayed by four hours in Frankfurt, missed the connection to Lisbon; the airline rebooked me on the morning flight."},
}

// TestLocalRetrieval measures, over all notes, how often the nearest
// neighbour is on the same topic and the R-precision (the share of same-topic
// notes among the k nearest, k = the number of other notes on the topic).
// Chance level is about 0.2 for both.
func TestLocalRetrieval(t *testing.T) {
	all := append(append(topicTexts[:0:0], topicTexts...), heldOutTexts...)
	l := newTestLocal(t)
	vecs := make([][]float32, len(all))
	for i, x := range all {
		vecs[i] = l.EmbedText(x.text)
	}
	var nnHits int
	var rprec float64
	for i := range all {
		var others []int
		k := 0
		for j := range all {
			if j != i {
				others = append(others, j)
				if all[j].topic == all[i].topic {
					k++
				}
			}
		}
		slices.SortStableFunc(others, func(a, b int) int {
			ca, cb := cosine(vecs[i], vecs[a]), cosine(vecs[i], vecs[b])
			switch {
			case ca > cb:
				return -1
			case ca < cb:
				return 1
			}
			return 0
		})
		if all[others[0]].topic == all[i].topic {
			nnHits++
		}
		hits := 0
		for _, j := range others[:k] {
			if all[j].topic == all[i].topic {
				hits++
			}
		}
		rprec += float64(hits) / float64(k)
	}
	nn, rp := float64(nnHits)/float64(len(all)), rprec/float64(len(all))
	t.Logf("%d notes: nearest neighbour on topic %d/%d (%.2f), R-precision %.2f", len(all), nnHits, len(all), nn, rp)
	if nn < 0.65 || rp < 0.5 {
		t.Errorf("retrieval quality fell: nearest-neighbour accuracy %.2f (want ≥ 0.65), R-precision %.2f (want ≥ 0.5)", nn, rp)
	}
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func newTestLocal(t testing.TB) *Local {
	t.Helper()
	l, err := NewLocal(LocalConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLocalTopicNeighbours(t *testing.T) {
	l := newTestLocal(t)
	vecs := make([][]float32, len(topicTexts))
	for i, tt := range topicTexts {
		vecs[i] = l.EmbedText(tt.text)
	}
	minSame, maxCross := 2.0, -2.0
	var sumSame, sumCross float64
	var nSame, nCross int
	for i := range topicTexts {
		for j := i + 1; j < len(topicTexts); j++ {
			c := cosine(vecs[i], vecs[j])
			if topicTexts[i].topic == topicTexts[j].topic {
				minSame = min(minSame, c)
				sumSame += c
				nSame++
			} else {
				maxCross = max(maxCross, c)
				sumCross += c
				nCross++
			}
		}
	}
	t.Logf("same-topic: mean %.3f min %.3f; cross-topic: mean %.3f max %.3f",
		sumSame/float64(nSame), minSame, sumCross/float64(nCross), maxCross)
	if mean := sumSame / float64(nSame); mean < sumCross/float64(nCross)+0.05 {
		t.Errorf("same-topic mean %.3f not clearly above cross-topic mean %.3f", mean, sumCross/float64(nCross))
	}
	// Every text's nearest neighbour is on its own topic.
	for i := range topicTexts {
		best, bestSim := -1, -2.0
		for j := range topicTexts {
			if j != i {
				if c := cosine(vecs[i], vecs[j]); c > bestSim {
					best, bestSim = j, c
				}
			}
		}
		if topicTexts[best].topic != topicTexts[i].topic {
			t.Errorf("nearest neighbour of %q is %q (%.3f)", topicTexts[i].text, topicTexts[best].text, bestSim)
		}
	}
}

func TestLocalQueries(t *testing.T) {
	l := newTestLocal(t)
	vecs := make([][]float32, len(topicTexts))
	for i, tt := range topicTexts {
		vecs[i] = l.EmbedText(tt.text)
	}
	for _, q := range []struct{ query, topic string }{
		{"how do I make the database query faster with an index", "databases"},
		{"recipe: cooking onions and garlic in a pan", "cooking"},
		{"training plan for my next run", "running"},
		{"when to water tomato plants", "garden"},
		{"baking bread", "cooking"},
		{"recovering a crashed database from its log", "databases"},
	} {
		qv := l.EmbedText(q.query)
		best, bestSim := 0, -2.0
		for j, v := range vecs {
			if c := cosine(qv, v); c > bestSim {
				best, bestSim = j, c
			}
		}
		t.Logf("%-55q → %-9s %.3f", q.query, topicTexts[best].topic, bestSim)
		if topicTexts[best].topic != q.topic {
			t.Errorf("query %q: best match %q (%s), want topic %s", q.query, topicTexts[best].text, topicTexts[best].topic, q.topic)
		}
	}
}

// goldenTexts pin the local embedder's output. If TestLocalGolden fails, the
// algorithm changed: give it a new LocalModel name (stored vectors of the
// old one no longer match) and then update the digest.
var goldenTexts = []string{
	"Resona keeps personal notes searchable.",
	"Die Datenbank speichert Vektoren für die semantische Suche.",
	"日本語のテキストも埋め込めます",
	"running runs ran — 42 km, 3:45:10!",
	"",
}

const goldenDigest = "4cf11ac6d2edf8af433b4c837431d1006920e0741b5a5865909b33e96407923a"

func localDigest(l *Local) string {
	h := sha256.New()
	for _, text := range goldenTexts {
		for _, x := range l.EmbedText(text) {
			binary.Write(h, binary.LittleEndian, math.Float32bits(x))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestLocalGolden(t *testing.T) {
	l := newTestLocal(t)
	if got := localDigest(l); got != goldenDigest {
		t.Errorf("local embedder output changed: digest %s, want %s; a new algorithm needs a new LocalModel name", got, goldenDigest)
	}
	if l.Model() != "resona-local-hash-v1" {
		t.Errorf("model %q", l.Model())
	}
}

func TestLocalVectors(t *testing.T) {
	l := newTestLocal(t)
	ctx := context.Background()
	in := append([]string{"Cooking pasta with tomato sauce"}, goldenTexts...)
	got, err := l.Embed(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if len(v) != 512 {
			t.Fatalf("vector %d has %d dims", i, len(v))
		}
		var norm float64
		for _, x := range v {
			norm += float64(x) * float64(x)
		}
		if empty := in[i] == ""; (empty && norm != 0) || (!empty && math.Abs(norm-1) > 1e-5) {
			t.Errorf("text %q: squared norm %v", in[i], norm)
		}
		if !slices.Equal(v, l.EmbedText(in[i])) {
			t.Errorf("text %q: Embed and EmbedText differ", in[i])
		}
	}
	if err := checkVectors("local", got, len(in), 512); err != nil {
		t.Error(err)
	}
	if c := cosine(l.EmbedText("The Quick, brown FOX!"), l.EmbedText("the quick brown fox")); c < 0.9999 {
		t.Errorf("case and punctuation changed the vector: cosine %v", c)
	}
	if c := cosine(l.EmbedText("database indexes"), l.EmbedText("indexing a database")); c < 0.5 {
		t.Errorf("inflected forms too far apart: cosine %.3f", c)
	}
	// Only stop words: the text still gets a vector.
	if v := l.EmbedText("it is what it is"); cosine(v, v) == 0 {
		t.Errorf("stop-word-only text mapped to the zero vector")
	}
	empty, err := l.Embed(ctx, nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("Embed(nil) = %v, %v", empty, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.Embed(cancelled, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestLocalDimensions(t *testing.T) {
	l, err := NewLocal(LocalConfig{Dimensions: 1024})
	if err != nil || len(l.EmbedText("hello world")) != 1024 || l.Dimensions() != 1024 {
		t.Errorf("1024 dims: %v", err)
	}
	for _, d := range []int{-1, 8, 1<<16 + 1} {
		if _, err := NewLocal(LocalConfig{Dimensions: d}); !errors.Is(err, ErrConfig) {
			t.Errorf("dims %d: err = %v, want ErrConfig", d, err)
		}
	}
	p := newTestLocal(t)
	if p.Name() != "local" || p.MaxBatchSize() != 256 || p.MaxChars() != 0 {
		t.Errorf("metadata %s %d %d", p.Name(), p.MaxBatchSize(), p.MaxChars())
	}
}

func TestTokenize(t *testing.T) {
	for in, want := range map[string]string{
		"Hello, World! It's 2026.": "[hello world it 2026]",
		"e-mail me@example.com":    "[mail me example com]",
		"Größe ÄRGER straße":       "[größe ärger straße]",
		"日本語 と テキスト":               "[日本語 と テキスト]",
		"a b c x1":                 "[x1]",
		"café (e\u0301)":           "[café e\u0301]",
	} {
		if got := fmt.Sprint(tokenize(in)); got != want {
			t.Errorf("tokenize(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{
		"tomatoes": "tomato", "tomato": "tomato", "watering": "water", "water": "water",
		"running": "run", "runs": "run", "planned": "plan", "planning": "plan", "plans": "plan",
		"baking": "bak", "bake": "bak", "databases": "databas", "database": "databas",
		"indexes": "index", "index": "index", "berries": "berry", "glasses": "glass",
		"status": "status", "analysis": "analysis", "slowly": "slow", "red": "red",
		"sing": "sing", "bed": "bed", "größe": "größe", "x86": "x86",
	} {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkLocalEmbedText(b *testing.B) {
	l := newTestLocal(b)
	var text string
	for _, tt := range topicTexts {
		text += tt.text + " "
	}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		l.EmbedText(text)
	}
}
