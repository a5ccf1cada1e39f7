package lance

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/format"
)

// RowAddressColumn is the name of the uint64 column holding each row's
// address (fragment_id<<32 | offset) when a scan or search asks for it.
const RowAddressColumn = "_rowaddr"

// DistanceColumn is the name of the float32 column holding each search
// result's distance to the query, as LanceDB names it.
const DistanceColumn = "_distance"

// readPlan is the set of top-level fields a scan reads: the projected ones
// first, then those only the filter needs.
type readPlan struct {
	fields    []*format.Field
	projected int // fields[:projected] are returned
	filter    expr.Expr
	// filterSchema is the schema of all read fields, on which the filter is
	// evaluated.
	filterSchema *arrow.Schema
}

// resolveColumns maps column names to top-level fields; nil means every
// column. Unknown and repeated names are ErrInvalidArgument.
func (d *Dataset) resolveColumns(names []string) ([]*format.Field, error) {
	s := d.m.Schema
	if names == nil {
		return append([]*format.Field(nil), s.Fields...), nil
	}
	out := make([]*format.Field, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		f, ok := s.FieldByName(n)
		if !ok {
			return nil, fmt.Errorf("%w: lance: unknown column %q (the table has %s)", ErrInvalidArgument, n, columnList(s))
		}
		if seen[n] {
			return nil, fmt.Errorf("%w: lance: column %q is listed twice", ErrInvalidArgument, n)
		}
		seen[n] = true
		out = append(out, f)
	}
	return out, nil
}

func columnList(s *format.Schema) string {
	out := ""
	for i, f := range s.Fields {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", f.Name)
	}
	return out
}

// plan resolves a projection and a filter into the fields to read.
func (d *Dataset) plan(columns []string, filter expr.Expr) (*readPlan, error) {
	fields, err := d.resolveColumns(columns)
	if err != nil {
		return nil, err
	}
	p := &readPlan{fields: fields, projected: len(fields), filter: filter}
	if filter == nil {
		return p, nil
	}
	have := make(map[string]bool, len(fields))
	for _, f := range fields {
		have[f.Name] = true
	}
	for _, name := range filter.Columns() {
		if have[name] {
			continue
		}
		f, ok := d.m.Schema.FieldByName(name)
		if !ok {
			return nil, fmt.Errorf("%w: lance: filter %s: unknown column %q (the table has %s)",
				ErrInvalidArgument, filter, name, columnList(d.m.Schema))
		}
		have[name] = true
		p.fields = append(p.fields, f)
	}
	afs := make([]arrow.Field, len(p.fields))
	for i, f := range p.fields {
		afs[i] = f.Arrow()
	}
	p.filterSchema = arrow.NewSchema(afs, nil)
	// Evaluate once on no rows, so that type mismatches are reported even
	// when no row is ever read.
	empty := make([]arrow.Array, len(afs))
	for i, f := range afs {
		empty[i] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, 0)
	}
	rec := array.NewRecordBatch(p.filterSchema, empty, 0)
	releaseAll(empty)
	_, err = filter.Eval(rec)
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("filter %s: %w", filter, err)
	}
	return p, nil
}

// outputFields returns the Arrow fields of the projected columns.
func (p *readPlan) outputFields() []arrow.Field {
	out := make([]arrow.Field, p.projected)
	for i, f := range p.fields[:p.projected] {
		out[i] = f.Arrow()
	}
	return out
}
