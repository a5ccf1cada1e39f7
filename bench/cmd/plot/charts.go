package main

import (
	"fmt"
	"image/color"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// engineName names the engine of a write step ("go", "lancedb-0.39", ...).
func engineName(step string) string {
	switch {
	case step == "go":
		return "resona-go"
	case strings.HasPrefix(step, "lancedb-"):
		return "LanceDB " + strings.TrimPrefix(step, "lancedb-") + " (Node)"
	}
	return step
}

// writeSteps are the full-workload lines of a run, in run order.
func writeSteps(lines []line) []line {
	var out []line
	for _, l := range lines {
		s := l.str("step")
		if (s == "go" || strings.HasPrefix(s, "lancedb-")) && l["error"] == nil {
			out = append(out, l)
		}
	}
	return out
}

// figure says which key holds a figure for LanceDB lines and which for Go.
type figure struct {
	label         string
	lancedb, goes string
}

func (f figure) key(step string) string {
	if step == "go" {
		return f.goes
	}
	return f.lancedb
}

type series struct {
	name   string
	values []float64
}

// table collects one value per (series, figure); a figure is kept only when
// every series has it, so no bar ever stands for a phase that did not run.
func table(steps []line, figs []figure) ([]string, []series) {
	var cats []string
	ss := make([]series, len(steps))
	for i, l := range steps {
		ss[i].name = engineName(l.str("step"))
	}
	for _, f := range figs {
		vals := make([]float64, len(steps))
		all := len(steps) > 0
		for i, l := range steps {
			v, ok := l.num(f.key(l.str("step")))
			all = all && ok
			vals[i] = v
		}
		if !all {
			continue
		}
		cats = append(cats, f.label)
		for i := range ss {
			ss[i].values = append(ss[i].values, vals[i])
		}
	}
	return cats, ss
}

func groupedBars(title, ylabel, file string, cats []string, ss []series) (bool, error) {
	if len(cats) == 0 || len(ss) == 0 {
		return false, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	w := vg.Points(float64(60) / float64(len(ss)))
	for i, s := range ss {
		bars, err := plotter.NewBarChart(plotter.Values(s.values), w)
		if err != nil {
			return false, err
		}
		bars.LineStyle.Width = vg.Length(0)
		bars.Color = plotutil.Color(i)
		bars.Offset = w * vg.Length(float64(i)-float64(len(ss)-1)/2)
		p.Add(bars)
		p.Legend.Add(s.name, bars)
	}
	p.Legend.Top = true
	p.Y.Min = 0
	p.Y.Max *= 1.3 // room for the legend above the bars
	p.NominalX(cats...)
	width := vg.Length(120+110*len(cats)) * vg.Points(1)
	return true, p.Save(width, 4*vg.Inch, file)
}

func runTitle(lines []line, run, what string) string {
	for _, l := range lines {
		if l.str("step") == "machine" {
			n, _ := l.num("N")
			d, _ := l.num("D")
			cpus, _ := l.num("nproc")
			return fmt.Sprintf("%s — %.0f×%.0f, %.0f cores, run %s", what, n, d, cpus, run)
		}
	}
	return what + " — run " + run
}

func phaseChart(lines []line, run, file string) (bool, error) {
	cats, ss := table(writeSteps(lines), []figure{
		{"ingest (batches of 100)", "ingest_s", "ingest_s"},
		{"maintenance", "optimize_s", "maintain_s"},
		{"IVF_PQ build (Resona)", "index_resona_params_s", "index_resona_params_s"},
		{"IVF_PQ build (defaults)", "index_default_params_s", "index_default_params_s"},
		{"+10% ingest", "incr_ingest_s", "incr_ingest_s"},
		{"+10% maintenance", "incr_optimize_s", "incr_maintain_s"},
	})
	return groupedBars(runTitle(lines, run, "Time per phase"), "seconds (in-process)", file, cats, ss)
}

// memoryChart shows what each phase added to the resident set (peak
// during the phase minus the resident set at its start).
func memoryChart(lines []line, run, file string) (bool, error) {
	cats, ss := table(writeSteps(lines), []figure{
		{"ingest (batches of 100)", "ingest_rss_added_mb", "ingest_rss_added_mb"},
		{"maintenance", "optimize_rss_added_mb", "maint_rss_added_mb"},
		{"IVF_PQ build (Resona)", "index_resona_params_rss_added_mb", "index_resona_params_rss_added_mb"},
		{"IVF_PQ build (defaults)", "index_default_params_rss_added_mb", "index_default_params_rss_added_mb"},
		{"+10% maintenance", "incr_optimize_rss_added_mb", "incr_maint_rss_added_mb"},
	})
	return groupedBars(runTitle(lines, run, "Memory added per phase (peak − start RSS)"), "MiB", file, cats, ss)
}

func searchChart(lines []line, run, file string) (bool, error) {
	cats, ss := table(writeSteps(lines), []figure{
		{"exact p50, fragmented", "fragmented_flat_query_p50_ms", "fragmented_flat_query_p50_ms"},
		{"exact p99, fragmented", "fragmented_flat_query_p99_ms", "fragmented_flat_query_p99_ms"},
		{"exact p50, compacted", "compacted_flat_query_p50_ms", "compacted_flat_query_p50_ms"},
		{"exact p99, compacted", "compacted_flat_query_p99_ms", "compacted_flat_query_p99_ms"},
		{"exact p50, +10%", "incr_flat_query_p50_ms", "incr_flat_query_p50_ms"},
	})
	return groupedBars(runTitle(lines, run, "Exact search, K=10"), "milliseconds", file, cats, ss)
}

// readSeries arranges the read-only steps (open-<table>-by-<engine>) as one
// series per reading engine over the tables both engines read.
func readSeries(lines []line, key string) ([]string, []series) {
	readers := []string{"lancedb", "go"}
	names := map[string]string{"lancedb": "LanceDB (Node) reading", "go": "resona-go reading"}
	vals := map[string]map[string]float64{}
	var tables []string
	for _, l := range lines {
		s := l.str("step")
		if !strings.HasPrefix(s, "open-") {
			continue
		}
		i := strings.LastIndex(s, "-by-")
		if i < 0 {
			continue
		}
		tbl, reader := strings.TrimPrefix(s[:i], "open-"), s[i+4:]
		v, ok := l.num(key)
		if !ok {
			continue
		}
		if vals[tbl] == nil {
			vals[tbl] = map[string]float64{}
			tables = append(tables, tbl)
		}
		vals[tbl][reader] = v
	}
	var cats []string
	ss := make([]series, len(readers))
	for i, r := range readers {
		ss[i].name = names[r]
	}
	for _, t := range tables {
		if len(vals[t]) != len(readers) {
			continue
		}
		cats = append(cats, t+"-written table")
		for i, r := range readers {
			ss[i].values = append(ss[i].values, vals[t][r])
		}
	}
	return cats, ss
}

func scanChart(lines []line, run, file string) (bool, error) {
	cats, ss := readSeries(lines, "scan_rows_per_s")
	return groupedBars(runTitle(lines, run, "Full scan, all columns"), "rows per second", file, cats, ss)
}

func readSearchChart(lines []line, run, file string) (bool, error) {
	cats, ss := readSeries(lines, "flat_query_p50_ms")
	return groupedBars(runTitle(lines, run, "Exact search p50 on the same table"), "milliseconds", file, cats, ss)
}

// recallChart plots recall@10 against p50 latency for every search variant
// an engine reported with both figures; it is drawn only when at least one
// variant is an ANN index (flat search alone is recall 1 by construction).
func recallChart(lines []line, run, file string) (bool, error) {
	p := plot.New()
	p.Title.Text = runTitle(lines, run, "Recall@10 vs latency")
	p.X.Label.Text = "p50 latency, ms (log)"
	p.Y.Label.Text = "recall@10"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	ann := false
	for i, l := range writeSteps(lines) {
		var xys plotter.XYs
		var labels []string
		var prefixes []string
		for k := range l {
			if pre, ok := strings.CutSuffix(k, "_recall10"); ok {
				prefixes = append(prefixes, pre)
			}
		}
		sort.Strings(prefixes)
		for _, pre := range prefixes {
			lat, ok1 := l.num(pre + "_query_p50_ms")
			rec, ok2 := l.num(pre + "_recall10")
			if !ok1 || !ok2 || lat <= 0 {
				continue
			}
			if strings.Contains(pre, "ivf") {
				ann = true
			}
			xys = append(xys, plotter.XY{X: lat, Y: rec})
			labels = append(labels, pre)
		}
		if len(xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return false, err
		}
		sc.GlyphStyle.Color = plotutil.Color(i)
		sc.GlyphStyle.Shape = plotutil.Shape(i)
		sc.GlyphStyle.Radius = vg.Points(4)
		p.Add(sc)
		p.Legend.Add(engineName(l.str("step")), sc)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return false, err
		}
		for j := range lb.TextStyle {
			lb.TextStyle[j].Color = color.Gray{Y: 80}
			lb.TextStyle[j].Font.Size = vg.Points(7)
		}
		p.Add(lb)
	}
	if !ann {
		return false, nil
	}
	p.Legend.Left = false // bottom right: flat search sits top, ANN left
	p.Legend.Top = false
	p.Y.Min, p.Y.Max = 0, 1.05
	return true, p.Save(9*vg.Inch, 5*vg.Inch, file)
}
