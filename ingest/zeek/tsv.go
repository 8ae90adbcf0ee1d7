package zeek

import (
	"bytes"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// tsvHeader is what a TSV header block says about the lines after it.
type tsvHeader struct {
	sep, setSep  []byte
	unset, empty []byte
	path         string  // from #path, "" if not given
	cols         []field // each column's field (fNone: not used); nil before #fields
	last         int     // the last column mamori reads
}

func defaultHeader() tsvHeader {
	return tsvHeader{
		sep:    []byte{'\t'},
		setSep: []byte{','},
		unset:  []byte{'-'},
		empty:  []byte("(empty)"),
	}
}

// header handles a line starting with '#'.
func (d *decoder) header(line []byte) error {
	if rest, ok := bytes.CutPrefix(line, []byte("#separator")); ok {
		// "#separator \x09": the one line written before the separator is known.
		if len(rest) < 2 || (rest[0] != ' ' && rest[0] != '\t') {
			return parse.Rejectf("bad header", "#separator without a value")
		}
		sep := unescapeHeader(rest[1:])
		if len(sep) == 0 {
			return parse.Rejectf("bad header", "empty #separator")
		}
		d.hdr = defaultHeader()
		d.hdr.sep = sep
		d.blocks++
		d.settle()
		return d.headerResult()
	}
	key, val, _ := bytes.Cut(line, d.hdr.sep)
	if bytes.HasPrefix(line, []byte("#fields")) && string(key) != "#fields" {
		return parse.Rejectf("bad header", "#fields not split by the #separator")
	}
	switch string(key) {
	case "#set_separator", "#empty_field", "#unset_field", "#path", "#fields":
		if d.blocks == 0 || d.hdr.cols != nil {
			// A header after a complete one starts a new block even
			// without its own #separator line.
			sep := d.hdr.sep
			d.hdr = defaultHeader()
			d.hdr.sep = sep
			d.blocks++
		}
	default:
		return d.headerResult() // #open, #types, #close, comments
	}
	switch string(key) {
	case "#set_separator":
		if sep := unescapeHeader(val); len(sep) > 0 {
			d.hdr.setSep = sep
		}
	case "#empty_field":
		d.hdr.empty = bytes.Clone(val)
	case "#unset_field":
		d.hdr.unset = bytes.Clone(val)
	case "#path":
		if d.hdr.path = resolvePath(string(val)); d.hdr.path == "" {
			d.hdr.path = clip(val) // a log type mamori does not know
		}
	case "#fields":
		cols := make([]field, 0, bytes.Count(val, d.hdr.sep)+1)
		for name := range bytes.SplitSeq(val, d.hdr.sep) {
			cols = append(cols, fieldByName(name))
		}
		d.hdr.cols = cols
		d.hdr.last = 0
		for i, f := range cols {
			if f != fNone {
				d.hdr.last = i
			}
		}
	}
	d.settle()
	return d.headerResult()
}

// headerResult is what a header line returns: ErrSkip, or SkipFile once the
// file's first block is known to be of a log mamori does not use (later
// blocks of a concatenated stream are skipped line by line instead).
func (d *decoder) headerResult() error {
	if d.unused != "" && d.blocks <= 1 {
		return skipFile(d.unused)
	}
	return parse.ErrSkip
}

// settle decides the current block's log type from #path, the file name or
// the columns.
func (d *decoder) settle() {
	d.typ, d.unused = nil, ""
	path := d.hdr.path
	if path == "" {
		path = d.namePath
	}
	if path != "" {
		if lt := logTypes[path]; lt != nil {
			d.typ = lt
		} else {
			d.unused = path
		}
		return
	}
	if d.hdr.cols == nil {
		return // not known yet
	}
	var probe record
	for _, f := range d.hdr.cols {
		probe.tsv[f] = []byte{}
	}
	if d.typ = inferType(&probe); d.typ == nil {
		d.unused = unknownPath
	}
}

func (d *decoder) decodeTSV(line []byte, ev *event.Event) error {
	h := &d.hdr
	if d.unused != "" {
		if d.blocks <= 1 {
			return skipFile(d.unused)
		}
		return parse.ErrSkip // a block of an unused log in a concatenated stream
	}
	if h.cols == nil || d.typ == nil {
		return parse.Rejectf("no header", "a TSV line before any #fields header")
	}
	r := &d.rec
	r.reset(false)
	// Split up to the last column mamori reads, then only count the rest.
	n, rest, more := 0, line, true
	for n <= h.last && more {
		i := h.index(rest)
		col := rest
		if i < 0 {
			more = false
		} else {
			col, rest = rest[:i], rest[i+len(h.sep):]
		}
		if f := h.cols[n]; f != fNone {
			switch {
			case bytes.Equal(col, h.unset):
				// unset: stays nil
			case bytes.Equal(col, h.empty):
				r.tsv[f] = col[:0:0]
			default:
				r.tsv[f] = col
			}
		}
		n++
	}
	trailing := false // the line ends with a separator
	if more {
		n += bytes.Count(rest, h.sep) + 1
		trailing = len(rest) == 0 || bytes.HasSuffix(rest, h.sep)
	}
	// One trailing separator (an empty last column) is tolerated.
	if n != len(h.cols) && (n != len(h.cols)+1 || !trailing) {
		return parse.Rejectf("wrong column count", "%d columns, #fields names %d", n, len(h.cols))
	}
	return d.emit(d.typ, r, ev)
}

// index returns the offset of the first separator in b, or -1. Columns are
// short, so a plain loop beats bytes.IndexByte's call overhead.
func (h *tsvHeader) index(b []byte) int {
	if len(h.sep) != 1 {
		return bytes.Index(b, h.sep)
	}
	s := h.sep[0]
	for i, c := range b {
		if c == s {
			return i
		}
	}
	return -1
}
