package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mamori-soc/mamori/config"
	"github.com/mamori-soc/mamori/ingest"
)

// testConfig is the default configuration with everything mamori writes
// under dir.
func testConfig(dir string) *config.Config {
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "db")
	cfg.LogFile = filepath.Join(dir, "mamori.log")
	cfg.AuditFile = filepath.Join(dir, "audit.jsonl")
	return cfg
}

// A store opened for review lists in its Sources pane the files earlier
// runs read into it and how far, with nothing followed.
func TestReviewConsoleListsStoredFiles(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "dnsmasq.log")
	lines := "Mar  4 10:00:00 gw dnsmasq[512]: query[A] example.com from 10.0.0.5\n" +
		"Mar  4 10:00:01 gw dnsmasq[512]: query[A] example.org from 10.0.0.6\n"
	if err := os.WriteFile(log, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir)
	a, err := Open(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Ingest(context.Background(), []string{log}, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	a, err = Open(cfg, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	st := a.Console(t.Context(), false).Status()
	if st.Live || len(st.Sources) != 1 {
		t.Fatalf("review status: live %v, sources %+v; want one stored file", st.Live, st.Sources)
	}
	s := st.Sources[0]
	if s.Path != log || s.State != ingest.StateStored || s.Offset != int64(len(lines)) || s.Lag() != 0 {
		t.Fatalf("stored source %+v: want %s read to its end (%d bytes)", s, log, len(lines))
	}
}
