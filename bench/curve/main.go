//go:build unix

// Command curve measures how mamori's ingest rate changes as its store
// grows, beside the physical yardstick of the store engine: a minimal
// program writing the same number of entries straight to Badger.
//
// It cuts a demo data set (mamori demo --write) into time slices of about
// -chunk events (slice k of every file: the k-th part of the period,
// Zeek headers repeated), then, slice after slice into one store, runs
// `mamori ingest` on the slice and, in the same loop, the raw program
// writing two keys per event (an event key with a ~300-byte value and an
// empty index key, Badger's default options) into a raw store that grows
// alongside. Each pair runs back to back, so a busy machine slows both:
// read the ratio. It prints a Markdown table: events stored before the
// slice, both rates, their ratio, the rate relative to the first slice,
// the same in CPU time per event (which a machine shared with other work
// disturbs far less than the rates), mamori's peak anonymous memory, and
// at the end bytes per event of both stores. The number of events stored is left in OUT/events.
//
//	go run ./bench/curve -data DIR -mamori ./mamori -out /tmp/curve
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

func main() {
	var (
		data   = flag.String("data", "", "demo data set (mamori demo --write DIR)")
		bin    = flag.String("mamori", "./mamori", "mamori binary")
		out    = flag.String("out", os.TempDir()+"/mamori-curve", "work directory (slices, stores)")
		chunk  = flag.Int("chunk", 1_000_000, "events per slice")
		upto   = flag.Int("max", 10_000_000, "stop once the store holds this many events")
		config = flag.String("config", "", "mamori configuration (default: DATA/mamori.yaml)")
		keep   = flag.Bool("keep", false, "keep the stores (for a later scan of the filled store)")
	)
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "curve: -data is required")
		os.Exit(2)
	}
	if *config == "" {
		*config = filepath.Join(*data, "mamori.yaml")
	}
	if err := run(*data, *bin, *out, *config, *chunk, *upto, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "curve:", err)
		os.Exit(1)
	}
}

func run(data, bin, out, config string, chunk, upto int, keep bool) error {
	slices, err := cut(data, filepath.Join(out, "slices"), chunk, upto)
	if err != nil {
		return err
	}
	db, raw := filepath.Join(out, "db"), filepath.Join(out, "raw")
	for _, d := range []string{db, raw} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	fmt.Println("| events stored before | slice events | mamori ingest ev/s | raw Badger (2 keys/event) ev/s | mamori ÷ raw | mamori ÷ its first slice | mamori CPU µs/event | raw CPU µs/event | CPU: raw ÷ mamori | CPU: first ÷ this slice | peak anon MB |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	var (
		stored          int64
		first, firstCPU float64
		rng             = rand.New(rand.NewPCG(1, 2)) //nolint:gosec // synthetic data, the same every run
	)
	for _, sl := range slices {
		start := time.Now()
		n, anon, mCPU, err := ingest(bin, config, db, sl.dir)
		if err != nil {
			return err
		}
		mRate := float64(n) / time.Since(start).Seconds()
		start, cpu0 := time.Now(), selfCPU()
		if err := rawWrite(raw, n, sl.from, sl.to, rng); err != nil {
			return err
		}
		rRate := float64(n) / time.Since(start).Seconds()
		rCPU := selfCPU() - cpu0
		mPer, rPer := mCPU.Seconds()*1e6/float64(n), rCPU.Seconds()*1e6/float64(n)
		if first == 0 {
			first, firstCPU = mRate, mPer
		}
		fmt.Printf("| %s | %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %d |\n", thousands(stored), thousands(n), thousands(int64(mRate)), thousands(int64(rRate)), mRate/rRate, mRate/first,
			mPer, rPer, rPer/mPer, firstCPU/mPer, anon)
		stored += n
	}
	if err := os.WriteFile(filepath.Join(out, "events"), []byte(strconv.FormatInt(stored, 10)), 0o600); err != nil {
		return err
	}
	mb, rb := du(db), du(raw)
	fmt.Println()
	fmt.Printf("Disk after %s events: mamori %.0f bytes per event (%s MB), raw Badger %.0f bytes per event (%s MB).\n",
		thousands(stored), float64(mb)/float64(stored), thousands(mb>>20), float64(rb)/float64(stored), thousands(rb>>20))
	if !keep {
		_ = os.RemoveAll(raw)
		return os.RemoveAll(db)
	}
	return nil
}

// slice is one time slice of the data set, written as its own folder.
type slice struct {
	dir      string
	from, to time.Time // the times the raw program spreads its events over
}

// cut writes the first slices of the data set holding up to upto events
// (reusing ones already cut the same way).
func cut(data, out string, chunk, upto int) ([]slice, error) {
	var files []string
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, ".log") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	counts := map[string]int{}
	total := 0
	for _, f := range files {
		n, err := countLines(f)
		if err != nil {
			return nil, err
		}
		counts[f] = n
		total += n
	}
	parts := max(1, (total+chunk/2)/chunk)
	want := min(parts, (upto+chunk-1)/chunk)
	out = filepath.Join(out, fmt.Sprintf("%d-of-%d", want, parts))
	var slices []slice
	// The demo's period: three days or so, read from the proxy's epochs
	// would be exact, but the raw program only needs a plausible spread.
	begin := time.Date(2026, 11, 17, 9, 0, 0, 0, time.UTC)
	span := 72 * time.Hour / time.Duration(parts)
	for k := range want {
		slices = append(slices, slice{dir: filepath.Join(out, strconv.Itoa(k)), from: begin.Add(time.Duration(k) * span), to: begin.Add(time.Duration(k+1) * span)})
	}
	if _, err := os.Stat(filepath.Join(out, ".done")); err == nil {
		return slices, nil
	}
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := split(data, f, out, counts[f], parts, want); err != nil {
			return nil, err
		}
	}
	return slices, os.WriteFile(filepath.Join(out, ".done"), nil, 0o600)
}

// countLines counts the lines of f that are not comments.
func countLines(f string) (int, error) {
	fh, err := os.Open(f)
	if err != nil {
		return 0, err
	}
	defer func() { _ = fh.Close() }() // read only
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		if len(sc.Bytes()) > 0 && sc.Bytes()[0] != '#' {
			n++
		}
	}
	return n, sc.Err()
}

// split writes the first want of parts slices of f's lines, each with the
// comment lines at the top of f (a Zeek header), and f's modification
// time (the year of syslog lines comes from it).
func split(data, f, out string, lines, parts, want int) error {
	rel, err := filepath.Rel(data, f)
	if err != nil {
		return err
	}
	fi, err := os.Stat(f)
	if err != nil {
		return err
	}
	fh, err := os.Open(f)
	if err != nil {
		return err
	}
	defer func() { _ = fh.Close() }() // read only
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var (
		header  []byte
		w       *bufio.Writer
		cur     *os.File
		k, i    = -1, 0
		closeUp = func() error {
			if cur == nil {
				return nil
			}
			err := errors.Join(w.Flush(), cur.Close(), os.Chtimes(cur.Name(), fi.ModTime(), fi.ModTime()))
			cur = nil
			return err
		}
	)
	for sc.Scan() {
		l := sc.Bytes()
		if len(l) > 0 && l[0] == '#' {
			if i == 0 {
				header = append(append(header, l...), '\n')
			}
			continue
		}
		if next := i * parts / max(lines, 1); next != k {
			if err := closeUp(); err != nil {
				return err
			}
			if k = next; k >= want {
				break
			}
			p := filepath.Join(out, strconv.Itoa(k), rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return err
			}
			if cur, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err != nil {
				return err
			}
			w = bufio.NewWriterSize(cur, 1<<20)
			_, _ = w.Write(header)
		}
		_, _ = w.Write(l)
		_ = w.WriteByte('\n')
		i++
	}
	return errors.Join(sc.Err(), closeUp())
}

// ingest runs `mamori ingest` on dir into db and returns the events it
// stored, its peak anonymous memory (MB) and the CPU time it took.
func ingest(bin, config, db, dir string) (int64, int, time.Duration, error) {
	cmd := exec.Command(bin, "ingest", "--config", config, "--db", db, "--log-file", db+".log", "--json", dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	peak := make(chan int, 1)
	go func() { peak <- peakAnon(cmd.Process.Pid) }()
	err := cmd.Wait()
	anon := <-peak
	if err != nil {
		return 0, 0, 0, fmt.Errorf("mamori ingest %s: %w\n%s", dir, err, stderr.String())
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	var sum struct {
		Events int64 `json:"events"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		return 0, 0, 0, fmt.Errorf("mamori ingest %s: reading its summary: %w", dir, err)
	}
	return sum.Events, anon, cpu, nil
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakAnon samples a process's anonymous resident memory every 50 ms
// until it ends, and returns the peak in MB.
func peakAnon(pid int) int {
	path := fmt.Sprintf("/proc/%d/status", pid)
	peak := 0
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			return peak >> 10
		}
		for l := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "RssAnon:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
				peak = max(peak, kb)
			}
			if strings.HasPrefix(l, "State:") && strings.Contains(l, "zombie") {
				return peak >> 10
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rawWrite is the yardstick: n events written to Badger with its default
// options as two entries each, in time order over [from, to) across 4,000
// endpoints, in one write batch; the store is opened and closed around
// it as mamori's is.
func rawWrite(dir string, n int64, from, to time.Time, rng *rand.Rand) error {
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		return err
	}
	wb := db.NewWriteBatch()
	step := to.Sub(from) / time.Duration(max(n, 1))
	for i := range n {
		t := from.Add(time.Duration(i) * step)
		ep := [4]byte{10, 0, byte(rng.IntN(16)), byte(rng.IntN(250))}
		id := rng.Uint64()
		ns := uint64(t.UnixNano()) ^ 1<<63
		ek := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte{'e'}, ns), id)
		val := fmt.Appendf(make([]byte, 0, 320), "%d.%03d %6d %d.%d.%d.%d TCP_MISS/200 %d GET http://www.example%d.co.jp/path/to/resource/%d?q=%x - HIER_DIRECT/93.184.216.%d text/html \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36\"",
			t.Unix(), t.Nanosecond()/1e6, rng.IntN(5000), ep[0], ep[1], ep[2], ep[3], rng.IntN(100000), rng.IntN(500), rng.IntN(1_000_000), rng.Uint32(), rng.IntN(250))
		day := uint32(t.Unix()/86400) ^ 1<<31
		xk := binary.BigEndian.AppendUint32([]byte{'x'}, day)
		xk = append(xk, 4, 4, ep[0], ep[1], ep[2], ep[3])
		xk = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(xk, ns), id)
		if err := wb.Set(ek, val); err != nil {
			return err
		}
		if err := wb.Set(xk, nil); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	return db.Close()
}

// du is the space a directory's files take.
func du(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					n += st.Blocks * 512 // Badger preallocates: count what is used
				}
			}
		}
		return nil
	})
	return n
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
