package main

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// rssTracker measures peak resident memory per phase. Resetting the
// kernel's high-water mark (VmHWM) loses the peak so far, so the tracker
// keeps the largest value seen before each reset for the whole-run peak.
type rssTracker struct{ max int64 }

// reset resets VmHWM so that peakRSSMB reports the peak of the next phase.
// It reports whether the reset worked (Linux ≥ 4.0 with /proc).
func (t *rssTracker) reset() bool {
	t.max = max(t.max, peakRSSMB())
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// phase starts a phase whose memory is recorded under label: the returned
// function, called at the phase's end, writes label_peak_rss_mb and
// label_rss_added_mb (peak minus the resident set at the start).
func (t *rssTracker) phase(out figures, label string) func() {
	start := rssMB()
	if !t.reset() || start < 0 {
		return func() {}
	}
	return func() {
		peak := peakRSSMB()
		out[label+"_peak_rss_mb"] = peak
		out[label+"_rss_added_mb"] = peak - start
	}
}

// runMax is the peak resident set of the whole run so far, in MiB.
func (t *rssTracker) runMax() int64 { return max(t.max, peakRSSMB()) }

// procStatusKB reads one "Key:   N kB" line of /proc/self/status.
func procStatusKB(key string) (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, key+":") {
			continue
		}
		fields := strings.Fields(line[len(key)+1:])
		if len(fields) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		return n, err == nil
	}
	return 0, false
}

// rssMB and peakRSSMB are the current and peak resident set sizes in MiB
// (-1 when unknown).
func rssMB() int64 {
	if kb, ok := procStatusKB("VmRSS"); ok {
		return kb / 1024
	}
	return -1
}

func peakRSSMB() int64 {
	if kb, ok := procStatusKB("VmHWM"); ok {
		return kb / 1024
	}
	return -1
}

// duBytes is `du -sb` of a path, the same measure bench.mjs takes.
func duBytes(path string) int64 {
	out, err := exec.Command("du", "-sb", path).Output()
	if err != nil {
		return -1
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return -1
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return -1
	}
	return n
}
