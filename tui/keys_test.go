package tui

import (
	"reflect"
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/mamori-soc/mamori/tui/alerts"
	"github.com/mamori-soc/mamori/tui/alertview"
	"github.com/mamori-soc/mamori/tui/allowlist"
	"github.com/mamori-soc/mamori/tui/contain"
	"github.com/mamori-soc/mamori/tui/endpoints"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/incidents"
	"github.com/mamori-soc/mamori/tui/incidentview"
	"github.com/mamori-soc/mamori/tui/sources"
	"github.com/mamori-soc/mamori/tui/timeline"
)

// bindingsOf collects the key.Binding fields of a key map struct, embedded
// ones included.
func bindingsOf(v reflect.Value) []key.Binding {
	var out []key.Binding
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if b, ok := v.Field(i).Interface().(key.Binding); ok {
			out = append(out, b)
		} else if f.Anonymous && v.Field(i).Kind() == reflect.Struct {
			out = append(out, bindingsOf(v.Field(i))...)
		}
	}
	return out
}

// Every key of every pane has Japanese help: under :lang ja the footer and
// the help overlay must not fall back to English.
func TestEveryKeyHasJapaneseHelp(t *testing.T) {
	maps := map[string]any{
		"global":       DefaultKeyMap(),
		"alerts":       alerts.DefaultKeyMap(),
		"alertview":    alertview.DefaultKeyMap(),
		"endpoints":    endpoints.DefaultKeyMap(),
		"timeline":     timeline.DefaultKeyMap(),
		"sources":      sources.DefaultKeyMap(),
		"incidents":    incidents.DefaultKeyMap(),
		"incidentview": incidentview.DefaultKeyMap(),
		"contain":      contain.DefaultKeyMap(),
		"allowlist":    allowlist.DefaultKeyMap(),
	}
	for name, km := range maps {
		en := bindingsOf(reflect.ValueOf(km))
		if len(en) == 0 {
			t.Fatalf("%s: no bindings found", name)
		}
		p := reflect.New(reflect.TypeOf(km))
		p.Elem().Set(reflect.ValueOf(km))
		if g, ok := p.Interface().(*KeyMap); ok {
			*g = g.In(i18n.JA)
		} else {
			i18n.JA.Keys(p.Interface())
		}
		ja := bindingsOf(p.Elem())
		for i, b := range ja {
			if b.Help().Desc == "" {
				continue
			}
			if b.Help().Desc == en[i].Help().Desc {
				t.Errorf("%s: key %q has no Japanese help for %q", name, b.Help().Key, b.Help().Desc)
			}
		}
	}
}
