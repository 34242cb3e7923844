package jobs

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvPrefix starts the name of every environment variable that sets a
// config key.
const EnvPrefix = "CHURN_"

// EnvConfigFile names the config file when --config is not given.
const EnvConfigFile = EnvPrefix + "CONFIG"

// envKey is one config key as an environment variable.
type envKey struct {
	name  string // CHURN_FEATURES_NEW_DAYS
	key   string // features.new_days
	index []int  // the field of fileConfig, for reflect.Value.FieldByIndex
	typ   reflect.Type
}

// envKeys lists every key of the config file as an environment variable:
// the key's path in upper case, dots as underscores, after CHURN_. It
// walks fileConfig, so a new key gets its variable without more code.
func envKeys() []envKey {
	var keys []envKey
	var walk func(t reflect.Type, index []int, path []string)
	walk = func(t reflect.Type, index []int, path []string) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			idx := append(cloneOf(index), i)
			p := append(cloneOf(path), tag)
			if f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx, p)
				continue
			}
			keys = append(keys, envKey{
				name:  EnvPrefix + strings.ToUpper(strings.Join(p, "_")),
				key:   strings.Join(p, "."),
				index: idx,
				typ:   f.Type,
			})
		}
	}
	walk(reflect.TypeFor[fileConfig](), nil, nil)
	sort.Slice(keys, func(a, b int) bool { return keys[a].name < keys[b].name })
	return keys
}

func cloneOf[T any](s []T) []T { return append([]T(nil), s...) }

// EnvVars returns the names of the environment variables that set config
// keys, sorted, each with its config key.
func EnvVars() map[string]string {
	out := map[string]string{}
	for _, k := range envKeys() {
		out[k.name] = k.key
	}
	return out
}

// ApplyEnv applies the CHURN_* environment variables that lookup finds on
// top of c, as a config file would: it goes after the file and before the
// flags. A value is read as YAML of the key's type ("90d", "0.3",
// "[7d, 30d]", "{at_risk: retain}"); a string key takes the value as it
// is, and a list also takes comma-separated items ("7d,30d,90d").
// Variables that name no key are ignored: a scheduler may set others of
// the prefix (Kubernetes sets CHURN_SERVICE_HOST for a service named
// churn).
func ApplyEnv(c *Config, lookup func(string) (string, bool)) error {
	var f fileConfig
	v := reflect.ValueOf(&f).Elem()
	var errs []string
	found := false
	for _, k := range envKeys() {
		s, ok := lookup(k.name)
		if !ok {
			continue
		}
		found = true
		if err := setFromEnv(v.FieldByIndex(k.index), s); err != nil {
			errs = append(errs, fmt.Sprintf("%s (%s): %v", k.name, k.key, err))
		}
	}
	if found {
		if err := f.apply(c); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("environment: %s", strings.Join(errs, "; "))
	}
	return nil
}

// setFromEnv sets one field of fileConfig (a pointer, slice or map) from
// an environment variable's value.
func setFromEnv(dst reflect.Value, s string) error {
	t := dst.Type()
	switch {
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.String:
		p := reflect.New(t.Elem())
		p.Elem().SetString(s)
		dst.Set(p)
		return nil
	case t.Kind() == reflect.Slice && !strings.HasPrefix(strings.TrimSpace(s), "["):
		items := reflect.MakeSlice(t, 0, 0)
		for _, item := range strings.Split(s, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			e := reflect.New(t.Elem())
			if err := yaml.Unmarshal([]byte(item), e.Interface()); err != nil {
				return fmt.Errorf("item %q: %w", item, err)
			}
			items = reflect.Append(items, e.Elem())
		}
		dst.Set(items)
		return nil
	}
	p := reflect.New(t)
	if err := yaml.Unmarshal([]byte(s), p.Interface()); err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	if t.Kind() == reflect.Pointer && p.Elem().IsNil() {
		return fmt.Errorf("%q: empty value", s)
	}
	dst.Set(p.Elem())
	return nil
}
