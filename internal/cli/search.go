package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/resona-go/resona"
)

func (a *app) searchCommand() *cobra.Command {
	var k int
	cmd := &cobra.Command{
		Use:   "search QUERY [-k N] [--json]",
		Short: "Find the items most similar in meaning to a query",
		Long: `Embed QUERY with the provider given by --provider and --model (it must be the
one the table was built with: a vector of another length is refused)
and print the k nearest items, best first: id, score and the start of the
matching text. Hits on chunks of one item count once, with the best chunk.

The score is what TypeScript Resona calls similarity: 1 − d, where d is the
squared euclidean (L2) distance between the query's vector and the item's.
Higher is more similar. It is not the cosine similarity: for unit-length
vectors (what most embedding models return) it equals 2·cos − 1, which is 1
for the same meaning, −1 for unrelated texts (cos = 0) and −3 at worst, so
negative scores are normal. --json prints it as "similarity", next to
"distance" (d itself), the field names TypeScript Resona uses.`,
		Example: `  resona embed search "compress data with gzip"
  resona embed search -k 3 --json "meeting notes about the budget"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || joinArgs(args) == "" {
				return usagef("missing search query")
			}
			if k <= 0 {
				return usagef("-k must be at least 1")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, err := a.openTable(ctx); err != nil {
				return err
			}
			p, err := a.newProvider(ctx)
			if err != nil {
				return err
			}
			svc, err := a.openService(ctx, p, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			results, err := svc.Search(ctx, joinArgs(args), k)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return writeJSON(a.stdout, searchJSON(results))
			}
			if len(results) == 0 {
				fmt.Fprintln(a.stdout, "No results.")
				return nil
			}
			t := newTable(a.stdout, "#", "ID", scoreHeader, "Text")
			for i, r := range results {
				_ = t.Append([]string{strconv.Itoa(i + 1), r.ID, fmt.Sprintf("%.3f", r.Similarity), preview(r.ContextText, 80)})
			}
			return t.Render()
		},
	}
	a.addProviderFlags(cmd)
	cmd.Flags().IntVarP(&k, "k", "k", resona.DefaultK, "number of results")
	return cmd
}

// scoreHeader names the score column by its formula: a bare "Similarity"
// would read as a cosine similarity, which it is not.
const scoreHeader = "Score (1 − L2²)"

// searchHit is one --json result, with TypeScript Resona's field names so
// that scripts written for it keep working: the service searches with
// MetricL2, so Distance is the squared euclidean distance and Similarity is
// 1 − Distance (see the command's help).
type searchHit struct {
	ID          string         `json:"id"`
	Similarity  float64        `json:"similarity"`
	Distance    float64        `json:"distance"`
	ContextText string         `json:"contextText"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

func searchJSON(rs []resona.SearchResult) []searchHit {
	out := make([]searchHit, len(rs))
	for i, r := range rs {
		out[i] = searchHit{ID: r.ID, Similarity: r.Similarity, Distance: r.Distance,
			ContextText: r.ContextText, Metadata: r.Metadata}
	}
	return out
}
