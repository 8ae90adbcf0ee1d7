package i18n

import (
	"reflect"

	"charm.land/bubbles/v2/key"
)

// Keys translates, in place, the help text of every key.Binding field of
// the struct km points to (fields of embedded structs included): a key
// map's English help texts are the keys of their translations. English
// leaves the key map as it is.
func (l Lang) Keys(km any) {
	if l != JA {
		return
	}
	v := reflect.ValueOf(km)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		panic("i18n.Keys needs a pointer to a key map struct")
	}
	l.translate(v.Elem())
}

func (l Lang) translate(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		if b, ok := fv.Addr().Interface().(*key.Binding); ok {
			h := b.Help()
			b.SetHelp(h.Key, l.T(h.Desc))
			continue
		}
		if f.Anonymous && fv.Kind() == reflect.Struct {
			l.translate(fv)
		}
	}
}
