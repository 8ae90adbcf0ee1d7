package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
)

// The application owns the allow-list entries made after start-up (the
// console's A key, `mamori allow add`): it stores them, applies them at
// once and audits every change. The configuration's entries are the
// file's, changed by editing it.

// loadAllowList adds the stored entries (made in the console or with
// `mamori allow add`) to the configuration's.
func (a *App) loadAllowList() error {
	return a.rd.List(store.AllowList, func(name string, doc []byte) error {
		var e detect.Allow
		if err := jsonUnmarshal(doc, &e); err != nil {
			return err
		}
		if e.ID == "" {
			e.ID = name // entries stored before they carried their id
		}
		a.Allow.Add(e)
		return nil
	})
}

// ErrAllowInvalid is returned (wrapped) for an entry that cannot be added.
var ErrAllowInvalid = errors.New("invalid allow-list entry")

// AddAllow stores an allow-list entry, applies it at once (to stored
// alerts too) and audits it. It fills in the entry's ID, Added and By.
func (a *App) AddAllow(ctx context.Context, e detect.Allow) (detect.Allow, error) {
	if a.Store == nil || a.Store.ReadOnly() {
		return detect.Allow{}, store.ErrReadOnly
	}
	for _, f := range []*string{&e.Rule, &e.Endpoint, &e.Destination, &e.User, &e.Reason} {
		*f = strings.TrimSpace(*f)
		if *f != sanitize.Line(*f) {
			return detect.Allow{}, fmt.Errorf("%w: control characters in %q", ErrAllowInvalid, *f)
		}
	}
	switch {
	case e.Empty():
		return detect.Allow{}, fmt.Errorf("%w: name a rule, an endpoint, a destination or a user: an entry of nothing would hide everything", ErrAllowInvalid)
	case e.Reason == "":
		return detect.Allow{}, fmt.Errorf("%w: a reason is required (it is recorded)", ErrAllowInvalid)
	case !e.Expires.IsZero() && !e.Expires.After(a.now()):
		return detect.Allow{}, fmt.Errorf("%w: it would expire at once (%s)", ErrAllowInvalid, e.Expires.Format(time.RFC3339))
	}
	e.Added, e.By = a.now().UTC(), a.Audit.User()
	h := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%s|%s|%d", e.Rule, e.Endpoint, e.Destination, e.User, e.Added.UnixNano()))
	e.ID = "al-" + hex.EncodeToString(h[:4])
	if err := a.Store.Put(store.AllowList, e.ID, &e); err != nil {
		return detect.Allow{}, err
	}
	a.Allow.Add(e)
	if _, err := a.Audit.Append(ctx, audit.AllowListChange(audit.ActionAllowAdded, e, e.By, e.Reason)); err != nil && !audit.Stored(err) {
		return e, fmt.Errorf("allow-list entry %s added, but not audited: %w", e.ID, err)
	}
	a.Log.Info("allow-list entry added", "id", e.ID, "scope", e.Scope(), "reason", e.Reason, "expires", e.Expires)
	return e, nil
}

// RemoveAllow removes a stored allow-list entry and audits it; the
// alerts it hid show again.
func (a *App) RemoveAllow(ctx context.Context, id, note string) (detect.Allow, error) {
	if a.Store == nil || a.Store.ReadOnly() {
		return detect.Allow{}, store.ErrReadOnly
	}
	var e detect.Allow
	ok, err := a.Store.Get(store.AllowList, id, &e)
	if err != nil {
		return detect.Allow{}, err
	}
	if !ok {
		return detect.Allow{}, fmt.Errorf("no allow-list entry %q made in the console or with mamori allow add (the configuration's entries are changed in the file)", id)
	}
	if e.ID == "" {
		e.ID = id
	}
	if err := a.Store.Delete(store.AllowList, id); err != nil {
		return detect.Allow{}, err
	}
	a.Allow.Remove(id)
	if _, err := a.Audit.Append(ctx, audit.AllowListChange(audit.ActionAllowRemoved, e, a.Audit.User(), note)); err != nil && !audit.Stored(err) {
		return e, fmt.Errorf("allow-list entry %s removed, but not audited: %w", id, err)
	}
	a.Log.Info("allow-list entry removed", "id", id, "scope", e.Scope())
	return e, nil
}

// Hides counts, by severity, the stored alerts an entry covers (whether
// or not it is active): what it hides, or would hide, from view.
func (a *App) Hides(e detect.Allow) ([alert.Critical + 1]int, error) {
	var n [alert.Critical + 1]int
	as, err := a.rd.Alerts()
	if err != nil {
		return n, err
	}
	for i := range as {
		if e.Matches(&as[i]) && int(as[i].Severity) < len(n) {
			n[as[i].Severity]++
		}
	}
	return n, nil
}

// now is the application's clock.
func (a *App) now() time.Time {
	if a.clock != nil {
		return a.clock()
	}
	return time.Now()
}
