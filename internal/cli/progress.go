package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// counter shows the progress of a countable job: a bar with rate and ETA on
// a terminal, and plain lines at most every few seconds (and at each tenth)
// otherwise, so that logs of scheduled runs stay readable.
type counter interface {
	// Set reports done units; rate is units per second as the caller
	// measures it (0 when unknown).
	Set(done int, rate float64)
	Finish()
}

func (a *app) newCounter(total int, what, unit string) counter {
	if isTerminal(a.stderr) {
		bar := progressbar.NewOptions64(int64(total),
			progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetWidth(30),
		)
		return &barCounter{bar: bar, w: a.stderr, what: what, unit: unit}
	}
	return &lineCounter{w: a.stderr, what: what, unit: unit, total: total, start: time.Now(), last: time.Now()}
}

// barCounter shows the caller's rate: the bar's own estimate is meaningless
// when a provider answers a whole batch at once.
type barCounter struct {
	bar        *progressbar.ProgressBar
	w          io.Writer
	what, unit string
	finished   bool
}

func (b *barCounter) Set(done int, rate float64) {
	if rate > 0 {
		b.bar.Describe(fmt.Sprintf("%s (%.1f %s/s)", b.what, rate, b.unit))
	}
	_ = b.bar.Set(done)
}

func (b *barCounter) Finish() {
	if b.finished {
		return
	}
	b.finished = true
	_ = b.bar.Finish()
	fmt.Fprintln(b.w)
}

type lineCounter struct {
	w           io.Writer
	what, unit  string
	total, done int
	tenth       int
	rate        float64
	start, last time.Time
	finished    bool
}

func (l *lineCounter) Set(done int, rate float64) {
	l.done, l.rate = done, rate
	tenth := 0
	if l.total > 0 {
		tenth = done * 10 / l.total
	}
	now := time.Now()
	if tenth > l.tenth || now.Sub(l.last) >= 5*time.Second {
		l.tenth, l.last = tenth, now
		if done < l.total {
			l.print(now)
		}
	}
}

func (l *lineCounter) Finish() {
	if l.finished {
		return
	}
	l.finished = true
	l.print(time.Now())
}

func (l *lineCounter) print(now time.Time) {
	elapsed := now.Sub(l.start)
	pct := 100.0
	if l.total > 0 {
		pct = float64(l.done) * 100 / float64(l.total)
	}
	line := fmt.Sprintf("%s: %d/%d %s (%.0f%%)", l.what, l.done, l.total, l.unit, pct)
	rate := l.rate
	if rate <= 0 && elapsed > 0 {
		rate = float64(l.done) / elapsed.Seconds()
	}
	if rate > 0 && l.done > 0 {
		line += fmt.Sprintf(", %.1f %s/s", rate, l.unit)
		if l.done < l.total {
			eta := time.Duration(float64(l.total-l.done) / rate * float64(time.Second))
			line += ", ETA " + eta.Round(time.Second).String()
		}
	}
	fmt.Fprintln(l.w, line)
}
