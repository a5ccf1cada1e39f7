package interop

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/expr"
)

// scenarioFilters are the filters compared with LanceDB on each scenario.
// LanceDB receives them as the SQL that expr renders, so a rendering LanceDB
// reads differently also shows up as a mismatch.
func scenarioFilters(scenario string) []expr.Expr {
	switch scenario {
	case "resona", "resona-optimized", "go-resona":
		return []expr.Expr{
			expr.Col("model").Eq("nomic-embed-text"),
			expr.And(expr.Col("created_at").Ge(1.7e12+500*1000.5), expr.Col("context_text").IsNotNull()),
			expr.Or(expr.Col("updated_at").IsNull(), expr.Col("metadata").Eq("")),
			expr.Not(expr.Col("id").In("doc-00001", "doc-00002", "doc-00100", "doc-00019#1")),
			expr.Col("dimensions").Ne(32),
		}
	case "deletes":
		return []expr.Expr{
			expr.Col("id").Lt(1000),
			expr.And(expr.Col("val").Ge(1000.0), expr.Col("label").Ne("label-3")),
			expr.Col("id").In(15, 16, 20003, 20004, 20079, 20080),
		}
	case "types":
		return []expr.Expr{
			expr.Col("int32_some").IsNull(),
			expr.Col("utf8_some").Eq(""),
			expr.Col("bool_some").Eq(true),
			expr.Col("float64_some").Gt(0.0),
			expr.Col("int8_some").Le(-100),
			expr.Col("uint32_none").Ge(uint32(3_000_000_000)),
			expr.Col("dict_utf8").In("red", "blue"),
			expr.Not(expr.Col("bool_all").IsNull()),
			expr.Or(expr.Col("int64_some").Lt(0), expr.Col("float32_none").Lt(-250000.0)),
		}
	}
	return nil
}

func filterSQL(fs []expr.Expr) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.String()
	}
	return out
}

// checkFilters compares, filter by filter, CountRows, a filtered Scan and a
// filtered Search with what LanceDB reads.
func checkFilters(t *testing.T, fx *Fixture, ds *lance.Dataset, d *Dump) {
	ctx := context.Background()
	fs := scenarioFilters(fx.Summary.Scenario)
	if len(d.Filters) != len(fs) {
		t.Fatalf("dump has %d filter results, want %d", len(d.Filters), len(fs))
	}
	for i, f := range fs {
		w := d.Filters[i]
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			if w.SQL != f.String() {
				t.Fatalf("dump filter %q is not %q", w.SQL, f.String())
			}
			n, err := ds.CountRows(ctx, f)
			skipIfUnsupported(t, ds, "CountRows "+w.SQL, err)
			if n != w.Count {
				t.Errorf("CountRows(%s) = %d, LanceDB counts %d", w.SQL, n, w.Count)
			}
			var got []string
			for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{}, Filter: f, WithRowAddress: true}) {
				skipIfUnsupported(t, ds, "Scan "+w.SQL, err)
				col := rec.Column(rec.Schema().FieldIndices(lance.RowAddressColumn)[0])
				for j := 0; j < int(rec.NumRows()); j++ {
					got = append(got, canon(col, j).(string))
				}
			}
			if diff := addressDiff(got, w.RowIDs); diff != "" {
				t.Errorf("Scan(%s): %s", w.SQL, diff)
			}
			if w.Search != nil {
				checkSearch(t, fx, ds, fmt.Sprintf("search where %s", w.SQL), *w.Search, f)
			}
		})
	}
}

// addressDiff describes how two sets of row addresses differ ("" if equal).
func addressDiff(got, want []string) string {
	g := map[string]bool{}
	for _, a := range got {
		g[a] = true
	}
	var missing, extra []string
	for _, a := range want {
		if !g[a] {
			missing = append(missing, a)
		}
		delete(g, a)
	}
	for a := range g {
		extra = append(extra, a)
	}
	if len(got) != len(want) || len(missing)+len(extra) > 0 {
		sort.Strings(missing)
		sort.Strings(extra)
		return fmt.Sprintf("%d rows, LanceDB %d; missing %v, extra %v", len(got), len(want), head(missing), head(extra))
	}
	return ""
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}
