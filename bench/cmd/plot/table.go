package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// tableRow is one line of the markdown comparison: a figure, where LanceDB
// and Go lines keep it, and whether larger is better (for the reader).
type tableRow struct {
	label, lancedb, goes, unit string
	higherBetter               bool
}

// noRatio are figures that cover different work per engine (LanceDB also
// builds two IVF_PQ indexes): shown side by side, without a ratio.
var noRatio = map[string]bool{"max_rss_mb": true, "wall_s": true}

var writeRows = []tableRow{
	{"ingest, batches of 100, one commit each", "ingest_s", "ingest_s", "s", false},
	{"ingest throughput", "ingest_rows_per_s", "ingest_rows_per_s", "rows/s", true},
	{"fragments after ingest", "fragments_before", "fragments_before", "", false},
	{"disk after ingest", "bytes_before", "bytes_before", "MB", false},
	{"memory added by ingest (peak − start RSS)", "ingest_rss_added_mb", "ingest_rss_added_mb", "MiB", false},
	{"exact search p50, fragmented", "fragmented_flat_query_p50_ms", "fragmented_flat_query_p50_ms", "ms", false},
	{"exact search p99, fragmented", "fragmented_flat_query_p99_ms", "fragmented_flat_query_p99_ms", "ms", false},
	{"recall@10 exact, fragmented", "fragmented_flat_recall10", "fragmented_flat_recall10", "", true},
	{"maintenance (LanceDB optimize / Go optimize+cleanup)", "optimize_s", "maintain_s", "s", false},
	{"disk after maintenance", "bytes_after_compact", "maint_bytes_after", "MB", false},
	{"memory added by maintenance (peak − start RSS)", "optimize_rss_added_mb", "maint_rss_added_mb", "MiB", false},
	{"exact search p50, compacted", "compacted_flat_query_p50_ms", "compacted_flat_query_p50_ms", "ms", false},
	{"exact search p99, compacted", "compacted_flat_query_p99_ms", "compacted_flat_query_p99_ms", "ms", false},
	{"recall@10 exact, compacted", "compacted_flat_recall10", "compacted_flat_recall10", "", true},
	{"IVF_PQ build, Resona params", "index_resona_params_s", "index_resona_params_s", "s", false},
	{"memory added by that build (peak − start RSS)", "index_resona_params_rss_added_mb", "index_resona_params_rss_added_mb", "MiB", false},
	{"IVF_PQ (Resona params) p50, nprobes 20", "ivfpq_resona_query_p50_ms", "ivfpq_resona_query_p50_ms", "ms", false},
	{"IVF_PQ (Resona params) p99, nprobes 20", "ivfpq_resona_query_p99_ms", "ivfpq_resona_query_p99_ms", "ms", false},
	{"IVF_PQ (Resona params) recall@10", "ivfpq_resona_recall10", "ivfpq_resona_recall10", "", true},
	{"IVF_PQ (Resona params) p50, nprobes 20 refine 10", "ivfpq_resona_refine_query_p50_ms", "ivfpq_resona_refine_query_p50_ms", "ms", false},
	{"IVF_PQ (Resona params) p99, nprobes 20 refine 10", "ivfpq_resona_refine_query_p99_ms", "ivfpq_resona_refine_query_p99_ms", "ms", false},
	{"IVF_PQ (Resona params) recall@10, refine 10", "ivfpq_resona_refine_recall10", "ivfpq_resona_refine_recall10", "", true},
	{"IVF_PQ (Resona params) p50, nprobes 10", "ivfpq_resona_np10_query_p50_ms", "ivfpq_resona_np10_query_p50_ms", "ms", false},
	{"IVF_PQ (Resona params) p99, nprobes 10", "ivfpq_resona_np10_query_p99_ms", "ivfpq_resona_np10_query_p99_ms", "ms", false},
	{"IVF_PQ (Resona params) recall@10, nprobes 10", "ivfpq_resona_np10_recall10", "ivfpq_resona_np10_recall10", "", true},
	{"IVF_PQ (Resona params) p50, nprobes 10 refine 10", "ivfpq_resona_np10_refine_query_p50_ms", "ivfpq_resona_np10_refine_query_p50_ms", "ms", false},
	{"IVF_PQ (Resona params) p99, nprobes 10 refine 10", "ivfpq_resona_np10_refine_query_p99_ms", "ivfpq_resona_np10_refine_query_p99_ms", "ms", false},
	{"IVF_PQ (Resona params) recall@10, nprobes 10 refine 10", "ivfpq_resona_np10_refine_recall10", "ivfpq_resona_np10_refine_recall10", "", true},
	{"IVF_PQ build, default params", "index_default_params_s", "index_default_params_s", "s", false},
	{"memory added by that build (peak − start RSS)", "index_default_params_rss_added_mb", "index_default_params_rss_added_mb", "MiB", false},
	{"IVF_PQ (defaults) p50", "ivfpq_default_query_p50_ms", "ivfpq_default_query_p50_ms", "ms", false},
	{"IVF_PQ (defaults) p99", "ivfpq_default_query_p99_ms", "ivfpq_default_query_p99_ms", "ms", false},
	{"IVF_PQ (defaults) recall@10", "ivfpq_default_recall10", "ivfpq_default_recall10", "", true},
	{"IVF_PQ (defaults) p50, nprobes 20 refine 10", "ivfpq_default_refine_query_p50_ms", "ivfpq_default_refine_query_p50_ms", "ms", false},
	{"IVF_PQ (defaults) p99, nprobes 20 refine 10", "ivfpq_default_refine_query_p99_ms", "ivfpq_default_refine_query_p99_ms", "ms", false},
	{"IVF_PQ (defaults) recall@10, refine 10", "ivfpq_default_refine_recall10", "ivfpq_default_refine_recall10", "", true},
	{"+10% rows ingest", "incr_ingest_s", "incr_ingest_s", "s", false},
	{"+10% maintenance", "incr_optimize_s", "incr_maintain_s", "s", false},
	{"memory added by +10% maintenance", "incr_optimize_rss_added_mb", "incr_maint_rss_added_mb", "MiB", false},
	{"exact search p50 after +10% (20 queries)", "incr_flat_query_p50_ms", "incr_flat_query_p50_ms", "ms", false},
	{"recall@10 exact after +10%", "incr_flat_recall10", "incr_flat_recall10", "", true},
	{"IVF_PQ (defaults) p50 after +10% (20 queries)", "incr_ivfpq_default_query_p50_ms", "incr_ivfpq_default_query_p50_ms", "ms", false},
	{"IVF_PQ (defaults) recall@10 after +10%", "incr_ivfpq_default_recall10", "incr_ivfpq_default_recall10", "", true},
	{"peak RSS, whole process (LanceDB: incl. index builds)", "max_rss_mb", "max_rss_mb", "MiB", false},
	{"whole-process wall time (LanceDB: incl. index builds)", "wall_s", "wall_s", "s", false},
}

var readRows = []tableRow{
	{"full scan, all columns", "scan_s", "scan_s", "s", false},
	{"full scan throughput", "scan_rows_per_s", "scan_rows_per_s", "rows/s", true},
	{"full scan, data bytes / time", "scan_gbps", "scan_gbps", "GB/s", true},
	{"exact search p50", "flat_query_p50_ms", "flat_query_p50_ms", "ms", false},
	{"exact search p99", "flat_query_p99_ms", "flat_query_p99_ms", "ms", false},
	{"indexed search p50 (nprobes 20, no refine)", "ivfpq_query_p50_ms", "ivfpq_query_p50_ms", "ms", false},
	{"indexed search p99", "ivfpq_query_p99_ms", "ivfpq_query_p99_ms", "ms", false},
}

func format(v float64, unit string) string {
	switch unit {
	case "MB":
		return strconv.FormatFloat(v/1e6, 'f', 0, 64)
	case "rows/s":
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// writeTable prints markdown tables of the run: the full workload of the
// Go line against each LanceDB line, then the read-only steps per table.
func writeTable(w io.Writer, lines []line) {
	steps := writeSteps(lines)
	var goLine line
	var ldb []line
	for _, l := range steps {
		if l.str("step") == "go" {
			goLine = l
		} else {
			ldb = append(ldb, l)
		}
	}
	if goLine != nil {
		for _, l := range ldb {
			name := engineName(l.str("step"))
			fmt.Fprintf(w, "| figure | %s | resona-go | Go/LanceDB |\n| --- | ---: | ---: | ---: |\n", name)
			for _, r := range writeRows {
				printRow(w, r, l, goLine)
			}
			if s := goLine.str("ann"); s != "" {
				fmt.Fprintf(w, "| IVF_PQ on Go | | %s | |\n", s)
			}
			fmt.Fprintln(w)
		}
	}
	tables := map[string]map[string]line{}
	var order []string
	for _, l := range lines {
		s := l.str("step")
		i := strings.LastIndex(s, "-by-")
		if !strings.HasPrefix(s, "open-") || i < 0 || l["error"] != nil {
			continue
		}
		t := strings.TrimPrefix(s[:i], "open-")
		if tables[t] == nil {
			tables[t] = map[string]line{}
			order = append(order, t)
		}
		tables[t][s[i+4:]] = l
	}
	for _, t := range order {
		byL, byG := tables[t]["lancedb"], tables[t]["go"]
		if byL == nil || byG == nil {
			continue
		}
		fmt.Fprintf(w, "Read-only, both engines on the same table %s:\n\n", byG.str("table"))
		fmt.Fprintf(w, "| figure | LanceDB reading | resona-go reading | Go/LanceDB |\n| --- | ---: | ---: | ---: |\n")
		for _, r := range readRows {
			printRow(w, r, byL, byG)
		}
		fmt.Fprintln(w)
	}
}

func printRow(w io.Writer, r tableRow, l, g line) {
	lv, lok := l.num(r.lancedb)
	gv, gok := g.num(r.goes)
	if !lok && !gok {
		return
	}
	cell := func(v float64, ok bool) string {
		if !ok {
			return "—"
		}
		return format(v, r.unit)
	}
	ratio := ""
	if noRatio[r.goes] {
		ratio = "n/c"
	} else if lok && gok && lv != 0 {
		ratio = strconv.FormatFloat(gv/lv, 'f', 2, 64)
	}
	unit := ""
	if r.unit != "" {
		unit = " (" + r.unit + ")"
	}
	fmt.Fprintf(w, "| %s%s | %s | %s | %s |\n", r.label, unit, cell(lv, lok), cell(gv, gok), ratio)
}
