package cli

import (
	"reflect"

	"posterm/pos"
)

// This file makes the CLI's output inert (issue 8, "remote text is inert"):
// a journal row may hold text that came from the gateway before it was
// cleaned there (RESULT INFO, names, a reason), and an error may quote
// it. Everything a command prints from the journal or an error goes
// through pos.CleanText — the one function — by way of these helpers.

// inert returns v with every string in it (struct fields, slices, arrays,
// maps, pointed-to values, however deep) passed through pos.CleanText.
// v itself is not changed: slices, maps and pointers are copied. Only
// exported fields are reached; the rest (a time.Time's) hold no text.
func inert[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	clean(rv)
	return v
}

// clean cleans the settable value rv in place (after copying what it
// shares with the caller).
func clean(rv reflect.Value) {
	switch rv.Kind() {
	case reflect.String:
		if s := rv.String(); s != "" {
			if c := pos.CleanText(s); c != s {
				rv.SetString(c)
			}
		}
	case reflect.Struct:
		for i := 0; i < rv.NumField(); i++ {
			if f := rv.Field(i); f.CanSet() {
				clean(f)
			}
		}
	case reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			clean(rv.Index(i))
		}
	case reflect.Slice:
		if rv.IsNil() || !hasText(rv.Type().Elem()) {
			return
		}
		cp := reflect.MakeSlice(rv.Type(), rv.Len(), rv.Len())
		reflect.Copy(cp, rv)
		for i := 0; i < cp.Len(); i++ {
			clean(cp.Index(i))
		}
		rv.Set(cp)
	case reflect.Pointer:
		if rv.IsNil() || !hasText(rv.Type().Elem()) {
			return
		}
		cp := reflect.New(rv.Type().Elem())
		cp.Elem().Set(rv.Elem())
		clean(cp.Elem())
		rv.Set(cp)
	case reflect.Map:
		if rv.IsNil() || (!hasText(rv.Type().Key()) && !hasText(rv.Type().Elem())) {
			return
		}
		cp := reflect.MakeMapWithSize(rv.Type(), rv.Len())
		for it := rv.MapRange(); it.Next(); {
			k := reflect.New(rv.Type().Key()).Elem()
			k.Set(it.Key())
			clean(k)
			e := reflect.New(rv.Type().Elem()).Elem()
			e.Set(it.Value())
			clean(e)
			cp.SetMapIndex(k, e)
		}
		rv.Set(cp)
	case reflect.Interface:
		if rv.IsNil() {
			return
		}
		e := reflect.New(rv.Elem().Type()).Elem()
		e.Set(rv.Elem())
		clean(e)
		rv.Set(e)
	}
}

// hasText reports whether a value of type t may hold a string that clean
// would reach (so that byte slices, times and numbers are not copied).
func hasText(t reflect.Type) bool {
	return hasTextSeen(t, map[reflect.Type]bool{})
}

func hasTextSeen(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.String, reflect.Interface:
		return true
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && hasTextSeen(f.Type, seen) {
				return true
			}
		}
	case reflect.Array, reflect.Slice, reflect.Pointer:
		return hasTextSeen(t.Elem(), seen)
	case reflect.Map:
		return hasTextSeen(t.Key(), seen) || hasTextSeen(t.Elem(), seen)
	}
	return false
}

// errText is an error's message made inert, for one line of stderr.
func errText(err error) string {
	return pos.CleanText(err.Error())
}
